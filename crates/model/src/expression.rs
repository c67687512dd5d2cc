//! Filter expressions, as the Budgets API's Expression.

use super::*;

/// A Cost Explorer filter expression (AWS's Expression): exactly one operator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expression {
    And(Vec<Expression>),
    Or(Vec<Expression>),
    Not(Box<Expression>),
    Dimensions(DimensionValues),
    Tags(KeyValues),
    CostCategories(KeyValues),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DimensionValues {
    pub key: Dimension,
    pub values: Vec<String>,
    pub match_options: Vec<MatchOption>,
}

/// The tag or cost category form of a filter: key, values, match options.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyValues {
    pub key: Option<String>,
    pub values: Vec<String>,
    pub match_options: Vec<MatchOption>,
}

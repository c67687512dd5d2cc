//! Request validation driven by the service models.
//!
//! Each model (embedded from `model/budgets-2016-10-20.service.json` and
//! `model/servicecatalog-2015-12-10.service.json`) says for
//! every operation which members are required and, for every shape, its type,
//! length bounds, pattern, enum values, numeric range and list sizes. Every
//! request is checked against it before any operation logic runs, and the
//! failures read like the real service's:
//! `1 validation error detected: Value 'x' at 'budget.budgetName' failed to
//! satisfy constraint: Member must have length less than or equal to 100`.

use std::collections::HashMap;
use std::sync::LazyLock;

use fancy_regex::Regex;
use serde_json::Value;

use crate::error::ApiError;

const MODEL_JSON: &str = include_str!("../model/budgets-2016-10-20.service.json");
const SERVICE_CATALOG_JSON: &str = include_str!("../model/servicecatalog-2015-12-10.service.json");

/// The parts of the service model validation needs.
pub struct ServiceModel {
    shapes: serde_json::Map<String, Value>,
    operations: serde_json::Map<String, Value>,
    patterns: HashMap<String, Regex>,
}

/// The Budgets model.
pub static MODEL: LazyLock<ServiceModel> = LazyLock::new(|| ServiceModel::load(MODEL_JSON));

/// The Service Catalog model.
pub static SERVICE_CATALOG: LazyLock<ServiceModel> =
    LazyLock::new(|| ServiceModel::load(SERVICE_CATALOG_JSON));

impl ServiceModel {
    fn load(json: &str) -> ServiceModel {
        let model: Value = serde_json::from_str(json).expect("embedded model is JSON");
        let shapes = model["shapes"].as_object().cloned().unwrap_or_default();
        let operations = model["operations"].as_object().cloned().unwrap_or_default();
        let mut patterns = HashMap::new();
        for shape in shapes.values() {
            if let Some(p) = shape["pattern"].as_str() {
                // The model's patterns are Java regular expressions; fancy-regex
                // reads them, lookarounds included. One that it cannot read is
                // skipped rather than rejecting every request.
                if let Ok(re) = Regex::new(p) {
                    patterns.insert(p.to_owned(), re);
                }
            }
        }
        ServiceModel {
            shapes,
            operations,
            patterns,
        }
    }
}

impl ServiceModel {
    /// Every operation name, e.g. `CreateBudget`.
    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.operations.keys().map(String::as_str)
    }

    pub fn has_operation(&self, name: &str) -> bool {
        self.operations.contains_key(name)
    }

    /// Patterns the regex engine could not compile (should be none).
    pub fn uncompiled_patterns(&self) -> Vec<String> {
        self.shapes
            .values()
            .filter_map(|s| s["pattern"].as_str())
            .filter(|p| !self.patterns.contains_key(*p))
            .map(str::to_owned)
            .collect()
    }

    /// Check an operation's input against its shape.
    pub fn validate(&self, operation: &str, input: &Value) -> Result<(), ApiError> {
        let Some(shape) = self.operations[operation]["input"]["shape"].as_str() else {
            return Ok(());
        };
        let mut errors = Vec::new();
        self.check(shape, input, "", &mut errors);
        if errors.is_empty() {
            return Ok(());
        }
        let n = errors.len();
        Err(ApiError::invalid(format!(
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            errors.join("; ")
        )))
    }

    fn check(&self, shape_name: &str, value: &Value, path: &str, errors: &mut Vec<String>) {
        let Some(shape) = self.shapes.get(shape_name) else {
            return;
        };
        let shown = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let fail = |errors: &mut Vec<String>, v: &Value, what: String| {
            errors.push(format!(
                "Value '{}' at '{}' failed to satisfy constraint: Member must {what}",
                shown(v),
                path
            ));
        };
        match shape["type"].as_str().unwrap_or("") {
            "structure" => {
                let Some(object) = value.as_object() else {
                    fail(errors, value, "be a structure".into());
                    return;
                };
                for required in shape["required"].as_array().into_iter().flatten() {
                    let name = required.as_str().unwrap_or("");
                    if object.get(name).is_none_or(Value::is_null) {
                        errors.push(format!(
                            "Value null at '{}' failed to satisfy constraint: Member must not be null",
                            join(path, name)
                        ));
                    }
                }
                if let Some(members) = shape["members"].as_object() {
                    for (name, member) in members {
                        if let Some(v) = object.get(name).filter(|v| !v.is_null()) {
                            let member_shape = member["shape"].as_str().unwrap_or("");
                            self.check(member_shape, v, &join(path, name), errors);
                        }
                    }
                }
            }
            "list" => {
                let Some(items) = value.as_array() else {
                    fail(errors, value, "be a list".into());
                    return;
                };
                self.check_size(shape, items.len(), value, path, errors);
                let member = shape["member"]["shape"].as_str().unwrap_or("");
                for (i, item) in items.iter().enumerate() {
                    self.check(member, item, &format!("{path}.{}.member", i + 1), errors);
                }
            }
            "map" => {
                let Some(entries) = value.as_object() else {
                    fail(errors, value, "be a map".into());
                    return;
                };
                self.check_size(shape, entries.len(), value, path, errors);
                let key = shape["key"]["shape"].as_str().unwrap_or("");
                let val = shape["value"]["shape"].as_str().unwrap_or("");
                for (k, v) in entries {
                    self.check(
                        key,
                        &Value::String(k.clone()),
                        &format!("{path}.key"),
                        errors,
                    );
                    self.check(val, v, &format!("{path}.{k}"), errors);
                }
            }
            "string" => {
                let Some(s) = value.as_str() else {
                    fail(errors, value, "be a string".into());
                    return;
                };
                self.check_size(shape, s.chars().count(), value, path, errors);
                if let Some(values) = shape["enum"].as_array()
                    && !values.iter().any(|e| e.as_str() == Some(s))
                {
                    let list: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
                    fail(
                        errors,
                        value,
                        format!("satisfy enum value set: [{}]", list.join(", ")),
                    );
                }
                if let Some(p) = shape["pattern"].as_str()
                    && let Some(re) = self.patterns.get(p)
                    && !re.is_match(s).unwrap_or(true)
                {
                    fail(
                        errors,
                        value,
                        format!("satisfy regular expression pattern: {p}"),
                    );
                }
            }
            "integer" | "long" => match value.as_i64() {
                Some(n) => self.check_range(shape, n as f64, value, path, errors),
                None => fail(errors, value, "be an integer".into()),
            },
            "double" | "float" => match value.as_f64() {
                Some(n) => self.check_range(shape, n, value, path, errors),
                None => fail(errors, value, "be a number".into()),
            },
            "boolean" if !value.is_boolean() => fail(errors, value, "be a boolean".into()),
            "timestamp" if !(value.is_number() || value.is_string()) => {
                fail(errors, value, "be a timestamp".into())
            }
            _ => {}
        }
    }

    fn check_size(
        &self,
        shape: &Value,
        len: usize,
        value: &Value,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        let what = if shape["type"] == "string" {
            "length"
        } else {
            "size"
        };
        if let Some(min) = shape["min"].as_u64()
            && (len as u64) < min
        {
            errors.push(format!(
                "Value '{}' at '{path}' failed to satisfy constraint: Member must have {what} greater than or equal to {min}",
                short(value)
            ));
        }
        if let Some(max) = shape["max"].as_u64()
            && (len as u64) > max
        {
            errors.push(format!(
                "Value '{}' at '{path}' failed to satisfy constraint: Member must have {what} less than or equal to {max}",
                short(value)
            ));
        }
    }

    fn check_range(
        &self,
        shape: &Value,
        n: f64,
        value: &Value,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        if let Some(min) = shape["min"].as_f64()
            && n < min
        {
            errors.push(format!(
                "Value '{value}' at '{path}' failed to satisfy constraint: Member must have value greater than or equal to {min}"
            ));
        }
        if let Some(max) = shape["max"].as_f64()
            && n > max
        {
            errors.push(format!(
                "Value '{value}' at '{path}' failed to satisfy constraint: Member must have value less than or equal to {max}"
            ));
        }
    }
}

/// AWS names members in validation messages in lowerCamelCase: `budget.budgetName`.
fn join(path: &str, member: &str) -> String {
    let mut chars = member.chars();
    let lower: String = chars
        .next()
        .map(|c| c.to_ascii_lowercase())
        .into_iter()
        .chain(chars)
        .collect();
    if path.is_empty() {
        lower
    } else {
        format!("{path}.{lower}")
    }
}

fn short(value: &Value) -> String {
    let s = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() > 64 {
        format!("{}…", s.chars().take(64).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_pattern_of_the_model_compiles() {
        assert!(
            MODEL.uncompiled_patterns().is_empty(),
            "{:?}",
            MODEL.uncompiled_patterns()
        );
        assert_eq!(MODEL.operation_names().count(), 26);
        assert!(
            SERVICE_CATALOG.uncompiled_patterns().is_empty(),
            "{:?}",
            SERVICE_CATALOG.uncompiled_patterns()
        );
        assert!(SERVICE_CATALOG.has_operation("ExecuteProvisionedProductServiceAction"));
    }

    #[test]
    fn messages_name_the_member_like_aws() {
        let err = MODEL
            .validate(
                "CreateBudget",
                &json!({
                    "AccountId": "111122223333",
                    "Budget": { "BudgetName": "a:b", "TimeUnit": "WEEKLY", "BudgetType": "COST" }
                }),
            )
            .unwrap_err();
        assert!(
            err.message.starts_with("2 validation errors detected"),
            "{}",
            err.message
        );
        assert!(err.message.contains("at 'budget.budgetName' failed to satisfy constraint: Member must satisfy regular expression pattern"), "{}", err.message);
        assert!(
            err.message.contains("at 'budget.timeUnit'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn required_members_and_bounds_are_enforced() {
        let err = MODEL
            .validate("DescribeBudgets", &json!({ "MaxResults": 1001 }))
            .unwrap_err();
        assert!(
            err.message
                .contains("at 'accountId' failed to satisfy constraint: Member must not be null")
        );
        assert!(err.message.contains("less than or equal to 1000"));
        assert!(
            MODEL
                .validate(
                    "DescribeBudgets",
                    &json!({ "AccountId": "111122223333", "MaxResults": 1000 })
                )
                .is_ok()
        );
    }
}

#[cfg(test)]
mod model_copy {
    use super::{MODEL, MODEL_JSON};

    /// The embedded model is what ships: it is the Budgets model (its
    /// protocol, target prefix and version), and every operation it has is
    /// one this endpoint validates, so the copy in the crate is the thing
    /// under test whatever sits beside the repository.
    #[test]
    fn the_embedded_model_is_the_budgets_json_model_with_every_operation() {
        let model: serde_json::Value = serde_json::from_str(MODEL_JSON).unwrap();
        let meta = &model["metadata"];
        assert_eq!(meta["apiVersion"], "2016-10-20");
        assert_eq!(meta["protocol"], "json");
        assert_eq!(meta["jsonVersion"], "1.1");
        assert_eq!(
            meta["targetPrefix"].as_str().map(|p| format!("{p}.")),
            Some(crate::TARGET_PREFIX.to_owned())
        );
        let operations = model["operations"].as_object().unwrap();
        assert_eq!(operations.len(), 26, "{:?}", operations.keys());
        for name in operations.keys() {
            assert!(MODEL.has_operation(name), "{name}");
        }
        let paginators: serde_json::Value =
            serde_json::from_str(include_str!("../model/budgets-2016-10-20.paginators.json"))
                .unwrap();
        for name in paginators["pagination"].as_object().unwrap().keys() {
            assert!(operations.contains_key(name), "paginator for {name}");
        }
    }

    /// The embedded copy is the reference one, byte for byte. Needs the
    /// shared reference folder beside the repository, and fails loudly
    /// without it: run with `cargo test -p budgetctl-local -- --ignored`.
    #[test]
    #[ignore = "needs ../shared/reference/aws-models beside the repository"]
    fn embedded_model_matches_the_shared_reference() {
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for file in [
            "budgets-2016-10-20.service.json",
            "budgets-2016-10-20.paginators.json",
            "servicecatalog-2015-12-10.service.json",
            "servicecatalog-2015-12-10.paginators.json",
        ] {
            let reference = manifest
                .join("../../../shared/reference/aws-models")
                .join(file);
            let expected = std::fs::read(&reference)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", reference.display()));
            let embedded = std::fs::read(manifest.join("model").join(file)).unwrap();
            assert!(
                embedded == expected,
                "model/{file} differs from {}",
                reference.display()
            );
        }
    }
}

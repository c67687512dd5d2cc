//! Filter expressions (`and`, `or`, `not`, dimensions, tags, cost
//! categories) and the legacy cost filters.

use super::*;

impl<'a> Decoder<'a> {
    pub(super) fn cost_filters(&mut self, node: &Node) -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "`filters`", "a mapping of filter names to values");
            return out;
        };
        for (k, v) in entries {
            let key = k.scalar_text().unwrap_or("").to_owned();
            if key.is_empty() {
                self.error_help(
                    Code::Filter,
                    k.pos,
                    "a filter name is empty",
                    "name the filter, e.g. Service",
                );
                continue;
            }
            if !rules::cost_filter_keys()
                .iter()
                .any(|(name, _)| *name == key)
            {
                let names = rules::cost_filter_keys().iter().map(|(n, _)| n.as_str());
                let help = match did_you_mean(&key, names.clone()) {
                    Some(close) => format!(
                        "did you mean `{close}`? Filter names are AWS's, e.g. Service, Region, LinkedAccount, TagKeyValue"
                    ),
                    None => format!("filter names are: {}", names.collect::<Vec<_>>().join(", ")),
                };
                self.error_help(Code::Filter, k.pos, format!("unknown filter `{key}`"), help);
                continue;
            }
            let Some(values) = self.string_list(v, &format!("filter `{key}`")) else {
                continue;
            };
            if values.is_empty() {
                self.error_help(
                    Code::Filter,
                    v.pos,
                    format!("filter `{key}` has no values"),
                    "list at least one value, or remove the filter",
                );
                continue;
            }
            out.insert(key, values.into_iter().map(|(s, _)| s).collect());
        }
        out
    }

    pub(super) fn expression(&mut self, node: &Node) -> Option<Expression> {
        let f = self.fields(node, "a filter expression", EXPRESSION_KEYS)?;
        let present: Vec<&str> = EXPRESSION_KEYS
            .iter()
            .copied()
            .filter(|k| f.has(k))
            .collect();
        if present.len() != 1 {
            self.error_help(
                Code::FilterExpression,
                node.pos,
                format!(
                    "a filter expression takes exactly one of {}, and this one has {}",
                    EXPRESSION_KEYS.join(", "),
                    if present.is_empty() {
                        "none".to_owned()
                    } else {
                        present.join(" and ")
                    }
                ),
                "nest combinations: { and: [ {dimensions: …}, {tags: …} ] }",
            );
            return None;
        }
        let key = present[0];
        let inner = f.get(key)?;
        match key {
            "and" | "or" => {
                let Value::Seq(items) = &inner.value else {
                    self.wrong_type(inner, &format!("`{key}`"), "a list of expressions");
                    return None;
                };
                if items.len() < 2 {
                    self.error_help(
                        Code::FilterExpression,
                        inner.pos,
                        format!(
                            "`{key}` needs at least two expressions, found {}",
                            items.len()
                        ),
                        "use the single expression directly instead of wrapping it",
                    );
                    return None;
                }
                let parts: Vec<Option<Expression>> =
                    items.iter().map(|i| self.expression(i)).collect();
                let parts: Option<Vec<Expression>> = parts.into_iter().collect();
                let parts = parts?;
                Some(if key == "and" {
                    Expression::And(parts)
                } else {
                    Expression::Or(parts)
                })
            }
            "not" => self.expression(inner).map(|e| Expression::Not(Box::new(e))),
            "dimensions" => {
                let d = self.fields(inner, "`dimensions`", DIMENSION_KEYS)?;
                let key_node = self.require(&d, "key", "`dimensions`");
                let values_node = self.require(&d, "values", "`dimensions`");
                let key = key_node.and_then(|n| {
                    self.enum_value(
                        n,
                        "dimension",
                        Dimension::parse,
                        Dimension::ALL,
                        Dimension::as_str,
                    )
                });
                let values = values_node.and_then(|n| self.filter_values(n, true));
                let match_options = self.match_options(&d)?;
                Some(Expression::Dimensions(DimensionValues {
                    key: key?,
                    values: values?,
                    match_options,
                }))
            }
            _ => {
                let what = if key == "tags" {
                    "`tags`"
                } else {
                    "`cost_categories`"
                };
                let d = self.fields(inner, what, DIMENSION_KEYS)?;
                let k = match d.get("key") {
                    Some(n) => {
                        let k = self.string(n, "key")?;
                        if k.chars().count() > rules::MAX_FILTER_VALUE_CHARS {
                            self.error_help(
                                Code::FilterExpression,
                                n.pos,
                                "key is longer than 1024 characters",
                                "shorten the key to at most 1024 characters",
                            );
                            return None;
                        }
                        Some(k)
                    }
                    None => None,
                };
                let match_options = self.match_options(&d)?;
                let values = match d.get("values") {
                    Some(n) => self.filter_values(n, true)?,
                    None if match_options.contains(&MatchOption::Absent) => Vec::new(),
                    None => {
                        self.require(&d, "values", what);
                        return None;
                    }
                };
                let kv = KeyValues {
                    key: k,
                    values,
                    match_options,
                };
                Some(if key == "tags" {
                    Expression::Tags(kv)
                } else {
                    Expression::CostCategories(kv)
                })
            }
        }
    }

    pub(super) fn filter_values(&mut self, node: &Node, non_empty: bool) -> Option<Vec<String>> {
        let values = self.string_list(node, "values")?;
        if non_empty && values.is_empty() {
            self.error_help(
                Code::FilterExpression,
                node.pos,
                "values is empty",
                "list at least one value",
            );
            return None;
        }
        let mut out = Vec::with_capacity(values.len());
        for (v, pos) in values {
            if v.chars().count() > rules::MAX_FILTER_VALUE_CHARS {
                self.error_help(
                    Code::FilterExpression,
                    pos,
                    "a value is longer than 1024 characters",
                    "shorten the value to at most 1024 characters",
                );
                return None;
            }
            out.push(v);
        }
        Some(out)
    }

    pub(super) fn match_options(&mut self, f: &Fields<'_>) -> Option<Vec<MatchOption>> {
        let Some(node) = f.get("match_options") else {
            return Some(Vec::new());
        };
        let items = self.string_list(node, "match_options")?;
        let mut out = Vec::new();
        for (text, pos) in items {
            let n = Node {
                pos,
                value: Value::String(text.into()),
            };
            out.push(self.enum_value(
                &n,
                "match option",
                MatchOption::parse,
                MatchOption::ALL,
                MatchOption::as_str,
            )?);
        }
        Some(out)
    }
}

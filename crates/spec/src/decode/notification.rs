//! Notifications, in the compact (`on: actual > 80%`) and the structured
//! form, and their subscribers.

use super::*;

impl<'a> Decoder<'a> {
    pub(super) fn notifications(&mut self, node: &Node, unit: Option<&str>) -> Vec<Notification> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "`notifications`", "a list of notifications");
            return Vec::new();
        };
        if items.len() > rules::MAX_NOTIFICATIONS {
            self.error_help(
                Code::NotificationCount,
                items[rules::MAX_NOTIFICATIONS].pos,
                format!(
                    "the budget has {} notifications; AWS allows at most 10",
                    items.len()
                ),
                "merge alerts that share a threshold, or split the budget",
            );
        }
        let mut out: Vec<Notification> = Vec::with_capacity(items.len());
        let mut positions: Vec<Pos> = Vec::with_capacity(items.len());
        for item in items {
            let Some(n) = self.notification(item, unit) else {
                continue;
            };
            if let Some(first) = out
                .iter()
                .position(|o| o.key == n.key)
                .map(|i| positions[i])
            {
                let d = Diagnostic::error(
                    Code::DuplicateNotification,
                    self.span(item.pos),
                    format!("the budget already has a notification `{}`", n.key),
                )
                .with_help("AWS identifies a notification by type, comparison, threshold and threshold type: merge the two, moving the subscribers into one")
                .with_related(self.span(first), "first declared here");
                self.push(d);
                continue;
            }
            positions.push(item.pos);
            out.push(n);
        }
        out
    }

    pub(super) fn notification(&mut self, node: &Node, unit: Option<&str>) -> Option<Notification> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, "a notification", "a mapping");
            return None;
        };
        let compact = entries
            .iter()
            .any(|(k, _)| matches!(k.scalar_text(), Some("on" | "to")));
        let structured = entries.iter().any(|(k, _)| {
            k.scalar_text()
                .is_some_and(|k| STRUCTURED_NOTIFICATION_KEYS.contains(&k))
        });
        if compact && structured {
            self.error_help(
                Code::NotificationForm,
                node.pos,
                "a notification mixes the compact form (on/to) with the structured form (type/comparison/threshold/subscribers)",
                "write either `on: actual > 80%` with `to: [...]`, or the structured keys, not both",
            );
            return None;
        }
        if compact {
            let f = self.fields(node, "a notification", COMPACT_NOTIFICATION_KEYS)?;
            let on = self.require(&f, "on", "a notification");
            let to = self.require(&f, "to", "a notification");
            let key = on.and_then(|n| self.compact_on(n, unit, "on"));
            let subscribers = to.and_then(|n| self.subscribers(n, "a notification"));
            Some(Notification {
                key: key?,
                subscribers: subscribers?,
            })
        } else {
            let f = self.fields(node, "a notification", STRUCTURED_NOTIFICATION_KEYS)?;
            let c = self.require(&f, "comparison", "a notification");
            let s = self.require(&f, "subscribers", "a notification");
            let comparison = c.and_then(|n| {
                self.enum_value(
                    n,
                    "comparison",
                    ComparisonOperator::parse,
                    ComparisonOperator::ALL,
                    ComparisonOperator::as_str,
                )
            });
            let trigger = self.trigger(&f, "a notification");
            let subscribers = s.and_then(|n| self.subscribers(n, "a notification"));
            let (notification_type, threshold, threshold_type) = trigger?;
            Some(Notification {
                key: NotificationKey {
                    notification_type,
                    comparison: comparison?,
                    threshold,
                    threshold_type,
                },
                subscribers: subscribers?,
            })
        }
    }

    /// The structured form's `type`, `threshold` and `threshold_type`
    /// (percentage unless said), shared by notifications and actions.
    pub(super) fn trigger(
        &mut self,
        f: &Fields<'_>,
        what: &str,
    ) -> Option<(NotificationType, Decimal, ThresholdType)> {
        let t = self.require(f, "type", what);
        let th = self.require(f, "threshold", what);
        let notification_type = t.and_then(|n| {
            self.enum_value(
                n,
                "notification type",
                NotificationType::parse,
                NotificationType::ALL,
                NotificationType::as_str,
            )
        });
        let threshold_type = match f.get("threshold_type") {
            Some(n) => self.enum_value(
                n,
                "threshold type",
                ThresholdType::parse,
                ThresholdType::ALL,
                ThresholdType::as_str,
            ),
            None => Some(ThresholdType::Percentage),
        };
        let threshold = th.and_then(|n| {
            let v = self.amount(n, "threshold")?;
            match rules::threshold(v) {
                Ok(()) => Some(v),
                Err(p) => {
                    self.problem(n.pos, p);
                    None
                }
            }
        });
        Some((notification_type?, threshold?, threshold_type?))
    }

    /// `actual > 80%`, `forecasted > 500 USD`.
    /// `key` is the key the condition is written under: `on` for
    /// notifications, `when` for actions and responses.
    pub(super) fn compact_on(
        &mut self,
        node: &Node,
        unit: Option<&str>,
        key: &str,
    ) -> Option<NotificationKey> {
        static ON: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^\s*([A-Za-z_-]+)\s*(>=|<=|=>|=<|==|!=|<>|≥|≤|>|<|=)\s*([0-9][0-9._]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+)\s*(%|[A-Za-z][A-Za-z0-9-]*)?\s*$")
                .expect("valid regex")
        });
        let text = self.string(node, &format!("`{key}`"))?;
        let form_help = format!(
            "write `{key}: actual > 80%` (percent of the limit) or `{key}: forecasted > 500 USD` (an amount)"
        );
        let Some(caps) = ON.captures(&text) else {
            self.error_help(
                Code::NotificationForm,
                node.pos,
                format!("`{text}` is not an alert condition"),
                &form_help,
            );
            return None;
        };
        let word = &caps[1];
        let Some(notification_type) = NotificationType::parse(word) else {
            self.error_help(
                Code::InvalidEnum,
                node.pos,
                format!("`{word}` is not a notification type"),
                "use `actual` or `forecasted`",
            );
            return None;
        };
        let comparison = match &caps[2] {
            ">" => ComparisonOperator::GreaterThan,
            "<" => ComparisonOperator::LessThan,
            "=" | "==" => ComparisonOperator::EqualTo,
            op => {
                self.error_help(
                    Code::NotificationOperator,
                    node.pos,
                    format!(
                        "AWS Budgets has no `{op}` comparison; it compares with >, < and = only"
                    ),
                    "use `>` (greater than), `<` (less than) or `=` (equal to)",
                );
                return None;
            }
        };
        let threshold = match parse_amount(&caps[3]) {
            Ok(v) => v,
            Err(e) => {
                self.error_help(Code::Threshold, node.pos, e.to_string(), &form_help);
                return None;
            }
        };
        if let Err(p) = rules::threshold(threshold) {
            self.problem(node.pos, p);
            return None;
        }
        let threshold_type = match caps.get(4).map(|m| m.as_str()) {
            Some("%") => ThresholdType::Percentage,
            Some(u) => {
                if let Some(budget_unit) = unit
                    && !u.eq_ignore_ascii_case(budget_unit)
                {
                    self.error_help(
                        Code::Unit,
                        node.pos,
                        format!("the alert is in {u} but the budget's limit is in {budget_unit}"),
                        format!("write the threshold in {budget_unit}, or as a percentage"),
                    );
                    return None;
                }
                ThresholdType::AbsoluteValue
            }
            None => {
                self.error_help(
                    Code::NotificationForm,
                    node.pos,
                    format!(
                        "`{text}` does not say whether {} is a percentage or an amount",
                        &caps[3]
                    ),
                    format!(
                        "write `{}%` for a percentage of the limit, or `{} {}` for an amount",
                        &caps[3],
                        &caps[3],
                        unit.unwrap_or("USD")
                    ),
                );
                return None;
            }
        };
        Some(NotificationKey {
            notification_type,
            comparison,
            threshold,
            threshold_type,
        })
    }

    pub(super) fn subscribers(&mut self, node: &Node, what: &str) -> Option<Vec<Subscriber>> {
        let items: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::String(_) | Value::Map(_) => vec![node],
            _ => {
                self.wrong_type(
                    node,
                    "subscribers",
                    "a list of email addresses and SNS topic ARNs",
                );
                return None;
            }
        };
        let mut out: Vec<Subscriber> = Vec::new();
        let mut ok = true;
        for item in &items {
            let subscriber = match &item.value {
                Value::String(s) => Some(Subscriber::from_address(s)),
                Value::Map(_) => self.subscriber_map(item),
                _ => {
                    self.wrong_type(item, "a subscriber", "an email address or SNS topic ARN");
                    None
                }
            };
            let Some(subscriber) = subscriber else {
                ok = false;
                continue;
            };
            let checked = match &subscriber {
                Subscriber::Email(a) => rules::email(a),
                Subscriber::Sns(a) => rules::sns_arn(a),
            };
            if let Err(p) = checked {
                self.problem(item.pos, p);
                ok = false;
                continue;
            }
            if out.contains(&subscriber) {
                self.error_help(
                    Code::DuplicateSubscriber,
                    item.pos,
                    format!("`{}` is listed twice", subscriber.address()),
                    "list each subscriber once",
                );
                ok = false;
                continue;
            }
            out.push(subscriber);
        }
        if !ok {
            return None;
        }
        let sns = out
            .iter()
            .filter(|s| matches!(s, Subscriber::Sns(_)))
            .count();
        let emails = out.len() - sns;
        let problem = if out.is_empty() {
            Some(format!("{what} needs at least one subscriber"))
        } else if sns > rules::MAX_SNS_SUBSCRIBERS {
            Some(format!(
                "{what} may have one SNS topic, and this one has {sns}"
            ))
        } else if emails > rules::MAX_EMAIL_SUBSCRIBERS {
            Some(format!(
                "{what} may have at most 10 email subscribers, and this one has {emails}"
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            self.error_help(
                Code::SubscriberCount,
                node.pos,
                message,
                "AWS allows 1 to 11 subscribers: up to 10 email addresses and one SNS topic (fan out with the topic)",
            );
            return None;
        }
        Some(out)
    }

    pub(super) fn subscriber_map(&mut self, node: &Node) -> Option<Subscriber> {
        let f = self.fields(node, "a subscriber", SUBSCRIBER_KEYS)?;
        match (f.get("email"), f.get("sns")) {
            (Some(e), None) => self.string(e, "email").map(Subscriber::Email),
            (None, Some(s)) => self.string(s, "sns").map(Subscriber::Sns),
            _ => {
                self.error_help(
                    Code::NotificationForm,
                    node.pos,
                    "a subscriber takes exactly one of `email` and `sns`",
                    "write { email: finops@example.com } or { sns: arn:aws:sns:… }",
                );
                None
            }
        }
    }
}

//! The fingerprint of a live budget, by which the staleness check sees
//! that it moved since the plan read it.

use super::*;

/// A hash of what apply's staleness check compares besides LastUpdatedTime:
/// the limit and dates, notifications with their subscribers, tags, and
/// budget actions (id, status, name tag and content), each in a canonical
/// order. XXH3-128: stable across builds and platforms, and
/// fast enough to run for every budget of every plan; it detects change, it
/// does not defend against forgery.
pub fn fingerprint(l: &LiveBudget) -> Fingerprint {
    let b = &l.budget;
    let mut h = Xxh3::new();
    let mut field = |bytes: &[u8]| {
        h.update(&(bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    // Typed values straight into the hash: formatting them costs more than
    // the whole comparison.
    let amount = |d: Decimal| canonical_amount(d).serialize();
    let day = |d: Option<NaiveDate>| d.map_or(i32::MIN, |d| d.num_days_from_ce()).to_le_bytes();
    match &b.limit {
        BudgetLimit::Fixed(s) => {
            field(b"fixed");
            field(&amount(s.amount));
            field(s.unit.as_bytes());
        }
        BudgetLimit::Planned(p) => {
            field(b"planned");
            for (d, s) in p {
                field(&day(Some(*d)));
                field(&amount(s.amount));
                field(s.unit.as_bytes());
            }
        }
        BudgetLimit::Schedule(sc) => {
            // Never live; hashed for completeness.
            field(b"schedule");
            field(&amount(sc.every.amount));
            field(sc.every.unit.as_bytes());
        }
        BudgetLimit::AutoAdjust(AutoAdjust::Historical { periods }) => {
            field(b"historical");
            field(&periods.to_le_bytes());
        }
        BudgetLimit::AutoAdjust(AutoAdjust::Forecast) => field(b"forecast"),
    }
    field(&day(b.start));
    field(&day(b.end));
    let mut notifications: Vec<&budgetctl_model::Notification> = b.notifications.iter().collect();
    notifications.sort_by(|x, y| x.key.cmp(&y.key));
    for n in notifications {
        let k = &n.key;
        field(&[
            k.notification_type as u8,
            k.comparison as u8,
            k.threshold_type as u8,
        ]);
        field(&amount(k.threshold));
        let mut subscribers: Vec<&Subscriber> = n.subscribers.iter().collect();
        subscribers.sort();
        for s in subscribers {
            field(match s {
                Subscriber::Email(_) => b"email",
                Subscriber::Sns(_) => b"sns",
            });
            field(s.address().as_bytes());
        }
    }
    match &b.tags {
        None => field(b"tags unread"),
        Some(tags) => {
            for (k, v) in tags {
                field(k.as_bytes());
                field(v.as_bytes());
            }
        }
    }
    let mut actions: Vec<&budgetctl_model::live::LiveAction> = l.actions.iter().collect();
    actions.sort_by(|x, y| x.id.cmp(&y.id));
    for a in actions {
        let x = &a.action;
        field(a.id.as_bytes());
        field(a.status.as_str().as_bytes());
        field(a.name.as_deref().unwrap_or("\0untagged").as_bytes());
        field(&[
            x.notification_type as u8,
            x.threshold_type as u8,
            x.approval as u8,
        ]);
        field(&amount(x.threshold));
        field(x.execution_role.as_bytes());
        field(x.definition.normalized().describe().as_bytes());
        let mut subscribers: Vec<&Subscriber> = x.subscribers.iter().collect();
        subscribers.sort();
        for s in subscribers {
            field(s.address().as_bytes());
        }
    }
    let mut hash = String::with_capacity(32);
    let _ = write!(hash, "{:032x}", h.digest128());
    Fingerprint {
        last_updated: l.last_updated.clone(),
        hash,
    }
}

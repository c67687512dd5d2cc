//! Notifications matched by identity, changed in place where only the
//! identity moved, and subscriber swaps paired (reconciler rules 4 and 5).

use super::*;

pub(super) fn notification_changes(desired: &Budget, live: &Budget) -> Vec<NotificationChange> {
    let mut changes = Vec::new();
    if desired.notifications == live.notifications {
        return changes;
    }
    let live_keys: Vec<&NotificationKey> = live.notifications.iter().map(|n| &n.key).collect();
    let want_keys: Vec<&NotificationKey> = desired.notifications.iter().map(|n| &n.key).collect();
    let mut unmatched_live: Vec<&budgetctl_model::Notification> = live
        .notifications
        .iter()
        .filter(|n| !want_keys.contains(&&n.key))
        .collect();
    for want in &desired.notifications {
        let have = if live_keys.contains(&&want.key) {
            live.notifications.iter().find(|n| n.key == want.key)
        } else {
            // A new identity: change a live one in place when one of the same
            // kind is left over, so its subscribers and state carry over.
            let pick = unmatched_live
                .iter()
                .position(|n| {
                    n.key.notification_type == want.key.notification_type
                        && n.key.comparison == want.key.comparison
                        && n.key.threshold_type == want.key.threshold_type
                })
                .or_else(|| {
                    unmatched_live
                        .iter()
                        .position(|n| n.key.notification_type == want.key.notification_type)
                });
            match pick {
                Some(i) => {
                    let from = unmatched_live.remove(i);
                    changes.push(NotificationChange::Change {
                        from: from.key.clone(),
                        to: want.key.clone(),
                    });
                    Some(from)
                }
                None => {
                    changes.push(NotificationChange::Add {
                        notification: want.key.clone(),
                        subscribers: want.subscribers.clone(),
                    });
                    None
                }
            }
        };
        if let Some(have) = have {
            let add: Vec<Subscriber> = want
                .subscribers
                .iter()
                .filter(|s| !have.subscribers.contains(s))
                .cloned()
                .collect();
            let remove: Vec<Subscriber> = have
                .subscribers
                .iter()
                .filter(|s| !want.subscribers.contains(s))
                .cloned()
                .collect();
            if !add.is_empty() || !remove.is_empty() {
                let (swap, add, remove) = pair_swaps(add, remove);
                changes.push(NotificationChange::Subscribers {
                    notification: want.key.clone(),
                    swap,
                    add,
                    remove,
                });
            }
        }
    }
    for gone in unmatched_live {
        changes.push(NotificationChange::Remove {
            notification: gone.key.clone(),
        });
    }
    changes
}

/// Pair each removed subscriber with an added one of the same kind, in file
/// order, into a swap (one UpdateSubscriber). A notification holds at most
/// ten emails and one SNS topic, so at its limit add-before-remove cannot
/// work, and remove-before-add would delete the notification with its last
/// subscriber. What stays unpaired is of a kind that is only added or only
/// removed, so adding it first never passes a limit the file keeps.
pub(super) fn pair_swaps(
    add: Vec<Subscriber>,
    mut remove: Vec<Subscriber>,
) -> (Vec<SubscriberSwap>, Vec<Subscriber>, Vec<Subscriber>) {
    let same_kind = |a: &Subscriber, b: &Subscriber| {
        matches!(
            (a, b),
            (Subscriber::Email(_), Subscriber::Email(_)) | (Subscriber::Sns(_), Subscriber::Sns(_))
        )
    };
    let mut swap = Vec::new();
    let mut unpaired = Vec::new();
    for to in add {
        match remove.iter().position(|from| same_kind(from, &to)) {
            Some(i) => swap.push(SubscriberSwap {
                from: remove.remove(i),
                to,
            }),
            None => unpaired.push(to),
        }
    }
    (swap, unpaired, remove)
}

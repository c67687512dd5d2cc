//! Durability: the state file's lock, every change saved (log line or
//! snapshot, flushed) before its reply, and compaction of the log.

use std::sync::Arc;

use crate::server::{PathBuf, Shared};
use crate::services::Changes;
use crate::{ApiError, ErrorKind, LocalError, Store};

/// The lock file beside a state file (`local.json` → `local.json.lock`):
/// the state file itself is replaced on every save, so it cannot carry the lock.
pub(super) fn lock_path(state: &std::path::Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Take the state file's lock, waiting for it or refusing when another
/// process holds it.
pub(super) async fn lock_state(
    state: &std::path::Path,
    wait: bool,
) -> Result<std::fs::File, LocalError> {
    let lock = lock_path(state);
    let lock_err = |source| LocalError::Lock {
        path: state.to_owned(),
        lock: lock.clone(),
        source,
    };
    if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(lock_err)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(lock_err)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) if wait => {
            tracing::info!(lock = %lock.display(), "waiting for the state file's lock");
            tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                .await
                .map_err(|e| lock_err(std::io::Error::other(e)))?
                .map_err(lock_err)
        }
        Err(std::fs::TryLockError::WouldBlock) => Err(LocalError::Locked {
            path: state.to_owned(),
            lock,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(lock_err(e)),
    }
}

/// Bring the state on disk up to every change made so far. Callers that
/// arrive while a save runs wait for it and are usually covered by the next.
pub(super) async fn persist(shared: &Shared) -> Result<(), LocalError> {
    use std::sync::atomic::Ordering;
    let Some(path) = &shared.state_path else {
        return Ok(());
    };
    let wanted = shared.service.generation();
    if shared.saved.load(Ordering::Acquire) >= wanted {
        return Ok(());
    }
    let _saving = shared.saving.lock().await;
    if shared.saved.load(Ordering::Acquire) >= wanted {
        return Ok(());
    }
    let (changes, generation) = shared.service.take_changes();
    // The log grows by what changed; once it holds more lines than there
    // are budgets (and at least a thousand), a snapshot replaces it.
    let logged = shared.logged.load(Ordering::Acquire);
    let compact = match &changes {
        Changes::Full(_) => None,
        Changes::Records(r) => Some(logged + r.len() > shared.service.budget_count().max(1000)),
    };
    let path = path.clone();
    let service = Arc::clone(&shared.service);
    let saved = tokio::task::spawn_blocking(move || match (changes, compact) {
        (Changes::Records(records), Some(false)) => {
            Store::append_log(&path, &records).map(|()| Some(records.len()))
        }
        (Changes::Full(store), _) => store.save(&path).map(|()| None),
        // Compaction: a snapshot of everything, which the records are in.
        (Changes::Records(_), _) => service.snapshot().save(&path).map(|()| None),
    })
    .await
    .map_err(|e| LocalError::Serve(e.to_string()))?;
    match saved {
        Ok(Some(appended)) => {
            shared.logged.fetch_add(appended, Ordering::AcqRel);
        }
        Ok(None) => shared.logged.store(0, Ordering::Release),
        Err(e) => {
            // Nothing of these changes is known to be on disk: the next save
            // writes everything.
            shared.service.mark_everything();
            return Err(e.into());
        }
    }
    shared.saved.fetch_max(generation, Ordering::AcqRel);
    Ok(())
}

/// Fold the log into a snapshot (at shutdown: the file left behind is one).
pub(super) async fn compact(shared: &Shared) -> Result<(), LocalError> {
    use std::sync::atomic::Ordering;
    let Some(path) = &shared.state_path else {
        return Ok(());
    };
    if shared.logged.load(Ordering::Acquire) == 0 {
        return Ok(());
    }
    let _saving = shared.saving.lock().await;
    let store = shared.service.snapshot();
    let path = path.clone();
    tokio::task::spawn_blocking(move || store.save(&path))
        .await
        .map_err(|e| LocalError::Serve(e.to_string()))??;
    shared.logged.store(0, Ordering::Release);
    Ok(())
}

/// `persist`, for a request about to be answered: a change that is not on
/// disk is not acknowledged.
pub(super) async fn persist_or_fail(shared: &Shared) -> Result<(), ApiError> {
    persist(shared).await.map_err(|e| {
        tracing::error!("{e}");
        ApiError::new(
            ErrorKind::InternalError,
            format!("the change could not be saved, so it is not acknowledged: {e}"),
        )
    })
}

//! The rules for responses: their names (budgetctl's own), and what the
//! Service Catalog API model (`servicecatalog-2015-12-10.service.json`)
//! says of ExecuteProvisionedProductServiceAction's members. The model's
//! patterns are unanchored at the end (`^[a-zA-Z0-9_\-]*` matches any
//! text); these anchor them, so that what AWS would read differently is
//! refused here.

use super::*;

/// ExecutionParameterMap: 1 to 200 keys.
pub const MAX_EXECUTION_PARAMETERS: usize = 200;
/// ExecutionParameterValueList: 0 to 25 values.
pub const MAX_EXECUTION_PARAMETER_VALUES: usize = 25;

/// A response's name: 1 to 128 letters, digits, `.`, `_` and `-`, starting
/// with a letter or digit. It is part of the response's ExecuteToken and
/// shows in CI logs and JSON, so it is kept plain.
pub fn response_name(name: &str) -> Result<(), Problem> {
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$").expect("valid regex"));
    if NAME.is_match(name) {
        Ok(())
    } else {
        Err(Problem::new(
            Code::ResponseName,
            format!("`{name}` is not a response name"),
        )
        .help("use 1 to 128 letters, digits, `.`, `_` and `-`, starting with a letter or digit, e.g. scale-dev-to-zero"))
    }
}

/// `handle` as an id when it starts with `prefix`, else as a name: whether
/// the matching pattern takes it.
fn id_or_name(handle: &str, prefix: &str, id: &Regex, name: &Regex) -> bool {
    if handle.starts_with(prefix) {
        id.is_match(handle)
    } else {
        name.is_match(handle)
    }
}

/// A provisioned product: a `pp-…` id (Id: 1 to 100 of `[a-zA-Z0-9_-]`) or
/// a name (ProvisionedProductName: 1 to 128, `[a-zA-Z0-9][a-zA-Z0-9._-]*`).
pub fn provisioned_product(handle: &str) -> Result<(), Problem> {
    static ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^pp-[a-zA-Z0-9_-]{1,97}$").expect("valid regex"));
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$").expect("valid regex"));
    if id_or_name(handle, "pp-", &ID, &NAME) {
        return Ok(());
    }
    Err(Problem::new(
        Code::ProvisionedProduct,
        format!("`{handle}` is neither a provisioned product id nor a provisioned product name"),
    )
    .help("write the product's name as Service Catalog shows it (1 to 128 letters, digits, `.`, `_`, `-`), or its id, e.g. pp-abcd1234efgh5"))
}

/// A service action: an `act-…` id (Id) or a name (ServiceActionName: 1
/// to 256 of `[a-zA-Z0-9_.-]`).
pub fn service_action(handle: &str) -> Result<(), Problem> {
    static ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^act-[a-zA-Z0-9_-]{1,96}$").expect("valid regex"));
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9_.-]{1,256}$").expect("valid regex"));
    if id_or_name(handle, "act-", &ID, &NAME) {
        return Ok(());
    }
    Err(Problem::new(
        Code::ServiceAction,
        format!("`{handle}` is neither a service action id nor a service action name"),
    )
    .help("write the self-service action's name (1 to 256 letters, digits, `.`, `_`, `-`), or its id, e.g. act-abcd1234efgh5"))
}

/// ExecutionParameterKey: 1 to 50 characters.
pub fn execution_parameter_key(key: &str) -> Result<(), Problem> {
    let chars = key.chars().count();
    if !(1..=50).contains(&chars) {
        return Err(Problem::new(
            Code::ExecutionParameter,
            format!("parameter name is {chars} characters long; Service Catalog takes 1 to 50"),
        )
        .help("use the parameter's name as the service action's document declares it"));
    }
    visible(key, "parameter name").map_err(|p| Problem {
        code: Code::ExecutionParameter,
        ..p
    })
}

/// ExecutionParameterValue: at most 512 characters.
pub fn execution_parameter_value(value: &str) -> Result<(), Problem> {
    let chars = value.chars().count();
    if chars > 512 {
        return Err(Problem::new(
            Code::ExecutionParameter,
            format!(
                "parameter value is {chars} characters long; Service Catalog takes at most 512"
            ),
        )
        .help("shorten the value"));
    }
    visible(value, "parameter value").map_err(|p| Problem {
        code: Code::ExecutionParameter,
        ..p
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_follow_the_service_catalog_model() {
        assert!(provisioned_product("dev-env").is_ok());
        assert!(provisioned_product("pp-abcd1234efgh5").is_ok());
        assert!(provisioned_product("-dev").is_err());
        assert!(provisioned_product("dev env").is_err());
        assert!(provisioned_product("pp-").is_err());
        assert!(provisioned_product(&"a".repeat(129)).is_err());
        assert!(service_action("scale-to-zero").is_ok());
        assert!(service_action("act-abcd1234efgh5").is_ok());
        assert!(service_action("scale to zero").is_err());
        assert!(service_action(&"a".repeat(257)).is_err());
        assert!(response_name("scale-dev-to-zero").is_ok());
        assert!(response_name("a/b").is_err());
        assert!(execution_parameter_key("Mode").is_ok());
        assert!(execution_parameter_key("").is_err());
        assert!(execution_parameter_key(&"k".repeat(51)).is_err());
        assert!(execution_parameter_value("").is_ok());
        assert!(execution_parameter_value(&"v".repeat(513)).is_err());
        assert!(execution_parameter_value("a\u{202e}b").is_err());
    }
}

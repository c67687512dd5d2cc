//! Record the git commit the binary is built from and the target it is
//! built for, for `budgetctl --version`. Outside a git checkout (a source
//! tarball) the commit reads as unknown.

use vergen_gitcl::{Emitter, GitclBuilder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let git = GitclBuilder::default().sha(true).build()?;
    Emitter::default().add_instructions(&git)?.emit()?;
    // Cargo tells a build script the target triple; the binary keeps it.
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    println!("cargo:rustc-env=BUDGETCTL_TARGET={target}");
    Ok(())
}

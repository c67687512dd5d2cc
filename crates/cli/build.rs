//! Record the git commit the binary is built from, for `budgetctl --version`.
//! Outside a git checkout (a source tarball) the commit reads as unknown.

use vergen_gitcl::{Emitter, GitclBuilder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let git = GitclBuilder::default().sha(true).build()?;
    Emitter::default().add_instructions(&git)?.emit()?;
    Ok(())
}

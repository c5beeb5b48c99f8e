//! Rebuilds the crate when a local migration is added or changed: `include_dir!` embeds
//! the folder but cannot tell Cargo to watch it on stable Rust.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations/local");
}

//! Placeholder, filled in below.
mod common;
fn main() {
    common::serve_localkube_if_child();
}

//! Build script: sets up napi's linker flags for the Node addon.

fn main() {
    napi_build::setup();
}

# Sourced by the scripts: cargo's own target directory, wherever the user's set-up puts it
# (CARGO_TARGET_DIR, a config file's build.target-dir, or ./target), so the binaries and the
# tools' virtualenv are found where cargo builds.
target_dir() {
  cargo metadata --no-deps --format-version 1 |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

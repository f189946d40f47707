//! `kaigiroku batch` on a real Slurm: `tests/slurm/run.sh` starts a
//! one-machine cluster (Debian's slurm-wlm and munge, installed when missing,
//! by `scripts/slurm-cluster.sh`), runs the shipped
//! `deploy/slurm/kaigiroku-array.sbatch` as 3 array tasks over a small batch
//! cut from the sample, and checks the outputs against a local `batch run`.
//! A test binary of its own, so that cargo runs it after `tests/model`, with
//! nothing else decoding meanwhile, and gives the script the binary it just
//! built: `cargo test --release --test slurm -- --nocapture`. The script alone:
//! `tests/slurm/run.sh` (uses `target/release/kaigiroku`).

#[path = "../model/models.rs"]
mod models;

use std::path::Path;
use std::process::Command;

#[test]
fn the_slurm_array_script_gives_the_local_run_s_outputs() {
    let store = models::installed();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("tests/slurm/run.sh");
    // One stream, in order: the script's own lines and the comparison's.
    let output = Command::new("bash")
        .arg("-c")
        .arg(r#"exec bash "$0" 2>&1"#)
        .arg(&script)
        .env("KAIGIROKU_BIN", env!("CARGO_BIN_EXE_kaigiroku"))
        .env("KAIGIROKU_MODELS", store.dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let said = String::from_utf8_lossy(&output.stdout);
    println!("{said}");
    assert!(
        output.status.success(),
        "tests/slurm/run.sh failed ({}):\n{}",
        output.status,
        said.lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

//! `kaigiroku review` killed with SIGKILL in the middle of a burst of edits:
//! after a restart, every edit the server acknowledged is in the draft (and
//! in draft.json), and undo goes on from there.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::review_support::{sample_folder, try_http, Server};

const TURNS: [&str; 4] = ["T2", "T5", "T9", "T12"];

fn edit(revision: u64, i: usize) -> String {
    format!(
        r#"{{"revision": {revision}, "edits": [{{"edit": "set_text", "turn": "{}", "text": "編集{i}。", "statement": null}}]}}"#,
        TURNS[i % TURNS.len()]
    )
}

#[test]
fn a_killed_server_loses_no_acknowledged_edit() {
    let dir = sample_folder();
    let mut server = Server::start(dir.path());
    let cookie = server.session();
    let port = server.port;

    // The burst: edits one after another, as fast as the server answers.
    let acked = Arc::new(AtomicUsize::new(0));
    let burst = {
        let acked = acked.clone();
        std::thread::spawn(move || {
            for i in 0.. {
                let answer = try_http(
                    port,
                    "POST",
                    "/api/edit",
                    Some(&cookie),
                    Some(&edit(i as u64, i)),
                );
                match answer {
                    Ok(a) if a.status == 200 => acked.store(i + 1, Ordering::SeqCst),
                    Ok(a) if a.status == 0 => return, // killed mid-answer
                    Ok(a) => panic!("edit {i}: {} {}", a.status, a.body),
                    Err(_) => return,
                }
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.load(Ordering::SeqCst) < 40 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    server.kill();
    burst.join().unwrap();
    let acked = acked.load(Ordering::SeqCst);
    assert!(acked >= 40, "only {acked} edits acknowledged in 60 s");

    let server = Server::start(dir.path());
    let cookie = server.session();
    let state = server
        .request("GET", "/api/state", Some(&cookie), None)
        .json();
    let revision = state["revision"].as_u64().unwrap() as usize;
    eprintln!("killed after {acked} acknowledged edits; revision {revision} after restart");
    // The edit in flight at the kill may or may not have been kept.
    assert!(
        revision == acked || revision == acked + 1,
        "revision {revision}, {acked} acknowledged"
    );
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("draft.json")).unwrap())
            .unwrap();
    for draft in [&state["draft"], &on_disk] {
        for (k, turn) in TURNS.iter().enumerate() {
            let last = (0..revision).rev().find(|i| i % TURNS.len() == k).unwrap();
            let text = draft["turns"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["id"] == *turn)
                .unwrap()["text"]
                .clone();
            assert_eq!(text, format!("編集{last}。"), "{turn}");
        }
    }
    // Undo goes on across the restart.
    let undone = server.request(
        "POST",
        "/api/undo",
        Some(&cookie),
        Some(&format!(r#"{{"revision": {revision}}}"#)),
    );
    assert_eq!(undone.status, 200, "{}", undone.body);
    assert_eq!(undone.json()["revision"], revision as u64 + 1);
}

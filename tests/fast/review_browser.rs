//! The review page in a real browser (Debian's chromium, driven through
//! chromedriver by fantoccini), on a real draft of the sample meeting:
//! click a turn and hear it; edit a text and a speaker's role, reload and
//! find both, in the page and in draft.json; undo; export a docx and open
//! it. `KAIGIROKU_SCREENSHOT=FILE` keeps a screenshot of the page.
//!
//! `bench/review.sh` runs [`bench_review_page`]: the time from opening the
//! page to hearing the first turn, and the time to save an edit.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::review_support::{sample_folder, Server};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver and a headless chromium downloading into `downloads`.
async fn browser(downloads: &Path) -> (Driver, Client) {
    let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("chromedriver is not installed: run scripts/setup.sh (Debian chromium-driver)");
    let port = free_port();
    let driver = Driver(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let profile = tempfile::tempdir().unwrap().keep();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required",
                "--window-size=1400,1000", format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return (driver, client),
            Err(e) if Instant::now() > deadline => panic!("chromium did not start: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Waits until `script` returns true.
async fn until(c: &Client, what: &str, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while js(c, script).await != Value::Bool(true) {
        if Instant::now() > deadline {
            let error = js(
                c,
                "return document.getElementById('error')?.textContent || ''",
            )
            .await;
            panic!("timed out waiting for {what} (page error: {error})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn saved_revision(c: &Client, revision: u64) {
    until(
        c,
        &format!("revision {revision} saved"),
        &format!(
            "return document.getElementById('save-status')?.dataset.revision === '{revision}'"
        ),
    )
    .await;
}

fn disk(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("draft.json")).unwrap()).unwrap()
}

fn turn_text(draft: &Value, id: &str) -> String {
    let turns = draft["turns"].as_array().unwrap();
    let turn = turns.iter().find(|t| t["id"] == id).unwrap();
    turn["text"].as_str().unwrap().to_string()
}

fn role_of(draft: &Value, speaker: &str) -> String {
    let speakers = draft["speakers"].as_array().unwrap();
    let s = speakers.iter().find(|s| s["id"] == speaker).unwrap();
    s["role"].as_str().unwrap().to_string()
}

async fn click(c: &Client, what: Locator<'_>) {
    c.find(what).await.unwrap().click().await.unwrap();
}

/// Waits until the page shows the draft's turns.
async fn minutes_shown(c: &Client) {
    let script = "return document.querySelectorAll('.turn[data-turn]').length > 10";
    until(c, "the minutes", script).await;
}

const PLAYER: &str = "const a = document.getElementById('player');";

/// Clicks turn `id`'s play button; returns when the audio plays from the
/// turn's start.
async fn play_turn(c: &Client, id: &str) -> f64 {
    let turn = c
        .find(Locator::Css(&format!(".turn[data-turn='{id}']")))
        .await
        .unwrap();
    let start: f64 = turn
        .attr("data-start")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    turn.find(Locator::Css(".play"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        c,
        &format!("{id} playing from {start}"),
        &format!("{PLAYER} return !a.paused && a.currentTime >= {start} - 0.05 && a.currentTime < {start} + 3"),
    )
    .await;
    start
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clerk_listens_edits_reloads_undoes_and_exports() {
    let dir = sample_folder();
    let downloads = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (_driver, c) = browser(downloads.path()).await;
    c.goto(&server.url).await.unwrap();
    minutes_shown(&c).await;
    saved_revision(&c, 0).await;

    // Click a turn: the audio seeks to its start and plays, and moves on.
    let start = play_turn(&c, "T3").await;
    let first: f64 = js(&c, &format!("{PLAYER} return a.currentTime"))
        .await
        .as_f64()
        .unwrap();
    assert!(
        first >= start - 0.05,
        "seeked to {first}, turn starts at {start}"
    );
    until(
        &c,
        "time moving",
        &format!("{PLAYER} return a.currentTime > {first} + 0.3"),
    )
    .await;
    until(
        &c,
        "the played turn highlighted",
        "return !!document.querySelector(\".turn[data-turn='T3'].playing\")",
    )
    .await;
    js(&c, &format!("{PLAYER} a.pause(); return true")).await;

    // Edit a turn's text; click elsewhere; saved as revision 1.
    let edited = "この件は来年度から開催する予定でしょうか。";
    let text = c
        .find(Locator::Css(".turn[data-turn='T9'] .turn-text"))
        .await
        .unwrap();
    text.click().await.unwrap();
    text.clear().await.unwrap();
    text.send_keys(edited).await.unwrap();
    click(&c, Locator::Css("h1")).await;
    saved_revision(&c, 1).await;
    assert_eq!(turn_text(&disk(dir.path()), "T9"), edited);

    // A speaker's role, for all its turns.
    let before = role_of(&disk(dir.path()), "S4");
    let select = c
        .find(Locator::Css("select.speaker-role[data-speaker='S4']"))
        .await
        .unwrap();
    select.select_by_value("事務局").await.unwrap();
    saved_revision(&c, 2).await;
    assert_eq!(role_of(&disk(dir.path()), "S4"), "事務局");

    // Reload: both are there.
    c.refresh().await.unwrap();
    minutes_shown(&c).await;
    saved_revision(&c, 2).await;
    let shown = js(&c, "return document.querySelector(\".turn[data-turn='T9'] .turn-text\").textContent || document.querySelector(\".turn[data-turn='T9'] .turn-text\").value").await;
    assert_eq!(shown.as_str().unwrap().trim(), edited);
    let role = js(
        &c,
        "return document.querySelector(\"select.speaker-role[data-speaker='S4']\").value",
    )
    .await;
    assert_eq!(role, "事務局");
    let label = js(
        &c,
        "return document.querySelector(\".turn[data-turn='T11'] .role\").textContent",
    )
    .await;
    assert!(
        label.as_str().unwrap().contains("事務局"),
        "T11 (S4) labelled {label}"
    );

    // Undo the role.
    click(&c, Locator::Id("undo")).await;
    saved_revision(&c, 3).await;
    assert_eq!(role_of(&disk(dir.path()), "S4"), before);
    assert_eq!(turn_text(&disk(dir.path()), "T9"), edited);

    if let Some(path) = std::env::var_os("KAIGIROKU_SCREENSHOT") {
        play_turn(&c, "T9").await;
        std::fs::write(PathBuf::from(path), c.screenshot().await.unwrap()).unwrap();
    }

    // Export Word from the page and open it.
    click(&c, Locator::Id("export-docx")).await;
    let docx = downloads.path().join("minutes.docx");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !docx.exists() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let bytes = std::fs::read(&docx).expect("the docx was not downloaded");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    assert!(
        xml.contains("来年度から開催する予定でしょうか"),
        "the edit is not in the docx"
    );
    let error = js(&c, "return document.getElementById('error').textContent").await;
    assert_eq!(error, "", "the page shows an error");
    c.close().await.unwrap();
}

/// The figures of `bench/review.sh` (not a test: run with --ignored).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn bench_review_page() {
    let dir = sample_folder();
    let downloads = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (_driver, c) = browser(downloads.path()).await;
    let opened = Instant::now();
    c.goto(&server.url).await.unwrap();
    minutes_shown(&c).await;
    let shown = opened.elapsed();
    play_turn(&c, "T1").await;
    let heard = opened.elapsed();

    let mut saves = Vec::new();
    for k in 0..20u64 {
        let text = c
            .find(Locator::Css(".turn[data-turn='T9'] .turn-text"))
            .await
            .unwrap();
        text.click().await.unwrap();
        text.send_keys("あ").await.unwrap();
        let typed = Instant::now();
        click(&c, Locator::Css("h1")).await;
        saved_revision(&c, k + 1).await;
        saves.push(typed.elapsed().as_secs_f64() * 1000.0);
    }
    saves.sort_by(f64::total_cmp);
    println!("| measure | ms |\n|---|---:|");
    println!(
        "| open the page → minutes shown | {:.0} |",
        shown.as_secs_f64() * 1000.0
    );
    println!(
        "| open the page → first turn heard | {:.0} |",
        heard.as_secs_f64() * 1000.0
    );
    println!(
        "| edit → saved (blur → acknowledged), median of 20 | {:.0} |",
        saves[10]
    );
    println!("| edit → saved, slowest of 20 | {:.0} |", saves[19]);
    c.close().await.unwrap();
}

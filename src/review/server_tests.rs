use axum::http::Request as HttpRequest;
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;
use crate::draft::tests::draft as fixture;
use crate::draft::TurnId;

struct Fixture {
    dir: tempfile::TempDir,
    review: Review,
    router: Router,
    cookie: String,
}

fn fixture_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("draft.json"), fixture().to_json().unwrap()).unwrap();
    let wav = dir.path().join("meeting.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for i in 0..16_000 * 2 {
        w.write_sample(((i as f32 * 0.05).sin() * 8000.0) as i16)
            .unwrap();
    }
    w.finalize().unwrap();
    let transcript = Transcript {
        version: Transcript::VERSION,
        audio: wav.display().to_string(),
        duration: 2.0,
        model: "test".into(),
        language: "ja".into(),
        segments: Vec::new(),
        speech: Vec::new(),
        dropped: Vec::new(),
    };
    std::fs::write(
        dir.path().join("transcript.json"),
        serde_json::to_string(&transcript).unwrap(),
    )
    .unwrap();
    dir
}

async fn open() -> Fixture {
    let dir = fixture_folder();
    let review = Review::open(&Options {
        dir: dir.path().to_path_buf(),
        audio: None,
        port: 0,
        corrections: None,
    })
    .unwrap();
    let router = review.router();
    let url = review.url();
    let path = url.split_once(&format!(":{}", review.port())).unwrap().1;
    let response = send(&router, get(&review, path)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    Fixture {
        dir,
        review,
        router,
        cookie,
    }
}

fn host(review: &Review) -> String {
    format!("127.0.0.1:{}", review.port())
}

fn get(review: &Review, path: &str) -> HttpRequest<Body> {
    HttpRequest::get(path)
        .header(header::HOST, host(review))
        .body(Body::empty())
        .unwrap()
}

impl Fixture {
    fn get(&self, path: &str) -> HttpRequest<Body> {
        HttpRequest::get(path)
            .header(header::HOST, host(&self.review))
            .header(header::COOKIE, &self.cookie)
            .body(Body::empty())
            .unwrap()
    }

    fn post(&self, path: &str, body: &str) -> HttpRequest<Body> {
        HttpRequest::post(path)
            .header(header::HOST, host(&self.review))
            .header(header::ORIGIN, format!("http://{}", host(&self.review)))
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    async fn call(&self, request: HttpRequest<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let response = send(&self.router, request).await;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes().to_vec();
        (parts.status, parts.headers, bytes)
    }

    async fn json(&self, request: HttpRequest<Body>) -> (StatusCode, serde_json::Value) {
        let (status, _, body) = self.call(request).await;
        (status, serde_json::from_slice(&body).unwrap())
    }

    /// No change was ever recorded.
    fn assert_no_history(&self) {
        let history = self.dir.path().join("history.jsonl");
        let len = std::fs::metadata(&history).map_or(0, |m| m.len());
        assert_eq!(len, 0, "a refused request wrote {}", history.display());
    }

    fn draft_json(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("draft.json")).unwrap()
    }
}

async fn send(router: &Router, request: HttpRequest<Body>) -> Response {
    router.clone().oneshot(request).await.unwrap()
}

const SET_TEXT: &str = r#"{"revision": 0, "edits": [{"edit": "set_text", "turn": "T7", "text": "直した。", "statement": null}]}"#;

#[tokio::test]
async fn the_page_and_its_state_come_with_a_strict_policy() {
    let f = open().await;
    let (status, headers, body) = f.call(f.get("/")).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(body).unwrap();
    for (name, _) in SCRIPTS {
        assert!(page.contains(&format!("/js/{name}")), "{name} not loaded");
    }
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"));
    for asset in ["/js/base.js", "/js/events.js", "/style.css"] {
        assert_eq!(f.call(f.get(asset)).await.0, StatusCode::OK, "{asset}");
    }
    let (status, state) = f.json(f.get("/api/state")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(state["revision"], 0);
    assert_eq!(state["draft"]["turns"][2]["id"], "T3");
    assert_eq!(state["can_undo"], false);
}

#[tokio::test]
async fn an_edit_is_saved_and_undone_and_redone() {
    let f = open().await;
    let (status, saved) = f.json(f.post("/api/edit", SET_TEXT)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["revision"], 1);
    let on_disk = Draft::load(&f.dir.path().join("draft.json")).unwrap();
    assert_eq!(on_disk.turn(TurnId(7)).unwrap().text, "直した。");

    let (status, undone) = f.json(f.post("/api/undo", r#"{"revision": 1}"#)).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(undone["draft"]["turns"][6]["text"], "直した。");
    assert_eq!(undone["can_redo"], true);
    let (status, redone) = f.json(f.post("/api/redo", r#"{"revision": 2}"#)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(redone["draft"]["turns"][6]["text"], "直した。");
    let (status, nothing) = f.json(f.post("/api/redo", r#"{"revision": 3}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(nothing["error"]
        .as_str()
        .unwrap()
        .contains("nothing to redo"));
}

#[tokio::test]
async fn a_change_on_an_old_revision_is_a_conflict() {
    let f = open().await;
    assert_eq!(
        f.json(f.post("/api/edit", SET_TEXT)).await.0,
        StatusCode::OK
    );
    let before = f.draft_json();
    // A second tab still on revision 0.
    let (status, conflict) = f.json(f.post("/api/edit", SET_TEXT)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(conflict["revision"], 1);
    assert_eq!(f.draft_json(), before);
}

#[tokio::test]
async fn bad_json_and_bad_edits_are_400_and_write_nothing() {
    let f = open().await;
    let before = f.draft_json();
    for body in [
        "{not json",
        r#"{"revision": 0}"#,
        r#"{"revision": 0, "edits": [{"edit": "paint_it_red"}]}"#,
        r#"{"revision": 0, "edits": [{"edit": "check_turn", "turn": "T99", "checked": true}]}"#,
        r#"{"revision": 0, "edits": []}"#,
    ] {
        let (status, answer) = f.json(f.post("/api/edit", body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let message = answer["error"].as_str().unwrap();
        assert!(message.contains("nothing was changed"), "{message}");
    }
    assert_eq!(f.draft_json(), before);
    f.assert_no_history();
}

#[tokio::test]
async fn strangers_are_refused() {
    let f = open().await;
    let port = f.review.port();
    let plain = |path: &str, host: &str, cookie: Option<&str>| {
        let mut b = HttpRequest::get(path).header(header::HOST, host);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        b.body(Body::empty()).unwrap()
    };
    let ours = format!("127.0.0.1:{port}");
    let cases = [
        // DNS rebinding: the right cookie, another Host.
        plain(
            "/api/state",
            &format!("evil.example:{port}"),
            Some(&f.cookie),
        ),
        plain("/api/state", "127.0.0.1:1", Some(&f.cookie)),
        // No session, or a wrong one.
        plain("/api/state", &ours, None),
        plain("/", &ours, None),
        plain("/audio", &ours, Some("kaigiroku=guess")),
        // The URL's token works once only.
        plain(
            &f.review.url().replace(&format!("http://{ours}"), ""),
            &ours,
            None,
        ),
    ];
    for request in cases {
        let what = format!("{} {:?}", request.uri(), request.headers());
        let (status, answer) = f.json(request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
        assert!(answer["error"].is_string());
    }
    // A write from another origin, or with none.
    for origin in [Some("http://evil.example"), None] {
        let mut b = HttpRequest::post("/api/edit")
            .header(header::HOST, &ours)
            .header(header::COOKIE, &f.cookie);
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        let (status, _) = f.json(b.body(Body::from(SET_TEXT)).unwrap()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?}");
    }
    f.assert_no_history();
}

#[tokio::test]
async fn the_recording_is_served_in_ranges() {
    let f = open().await;
    let mut request = f.get("/audio");
    request
        .headers_mut()
        .insert(header::RANGE, HeaderValue::from_static("bytes=100-199"));
    let (status, headers, body) = f.call(request).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(body.len(), 100);
    let whole = std::fs::read(f.dir.path().join("meeting.wav")).unwrap();
    assert_eq!(body, whole[100..200]);
    assert!(headers[header::CONTENT_RANGE]
        .to_str()
        .unwrap()
        .starts_with("bytes 100-199/"));
}

#[tokio::test]
async fn replace_changes_every_text_and_can_teach_the_next_meeting() {
    let f = open().await;
    let body = r#"{"revision": 0, "find": "令和", "replace": "平成", "add_correction": true}"#;
    let (status, answer) = f.json(f.post("/api/replace", body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["replaced"].as_u64().unwrap() >= 1);
    assert_eq!(answer["revision"], 1);
    assert_eq!(answer["correction"], "令和 → 平成");
    let list = std::fs::read_to_string(f.dir.path().join("corrections.txt")).unwrap();
    assert!(list.ends_with("令和 → 平成\n"));
    // Undone as one change.
    let (_, undone) = f.json(f.post("/api/undo", r#"{"revision": 1}"#)).await;
    assert!(undone["draft"]["turns"][2]["text"]
        .as_str()
        .unwrap()
        .contains("令和"));
    let (status, _) = f
        .json(f.post(
            "/api/replace",
            r#"{"revision": 2, "find": "存在しない", "replace": "x"}"#,
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn exports_are_the_edited_minutes() {
    let f = open().await;
    f.json(f.post("/api/edit", SET_TEXT)).await;
    let (status, headers, body) = f.call(f.get("/api/export/docx")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("minutes.docx"));
    assert_eq!(&body[..2], b"PK");
    assert_eq!(
        std::fs::read(f.dir.path().join("minutes.docx")).unwrap(),
        body
    );
    let (status, _, text) = f.call(f.get("/api/export/txt")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(text).unwrap().contains("直した"));
    assert_eq!(
        f.call(f.get("/api/export/pdf")).await.0,
        StatusCode::NOT_FOUND
    );
}

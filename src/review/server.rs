//! The review server: the page, the API over [`Store`], the recording with
//! range requests, and the guard every request passes (loopback Host, the
//! session cookie, same-origin writes, a strict Content-Security-Policy).

use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Request, State as Shared};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use tower_http::services::ServeFile;

use super::audio::{self, AudioFileError};
use super::store::{self, Change, Opened, Saved, Store, StoreError};
use crate::draft::{Draft, DraftEdit};
use crate::render::{self, Format};
use crate::types::{Dropped, Segment, Transcript};

const INDEX_HTML: &str = include_str!("page/index.html");
/// The page's scripts, in the order index.html loads them.
const SCRIPTS: [(&str, &str); 6] = [
    ("base.js", include_str!("page/base.js")),
    ("save.js", include_str!("page/save.js")),
    ("render.js", include_str!("page/render.js")),
    ("side.js", include_str!("page/side.js")),
    ("audio.js", include_str!("page/audio.js")),
    ("events.js", include_str!("page/events.js")),
];
const STYLE_CSS: &str = include_str!("page/style.css");

const COOKIE: &str = "kaigiroku";
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Audio(#[from] AudioFileError),
    #[error("{}: {source} (review reads the folder `kaigiroku draft` wrote)", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}: not a transcript.json: {message}", path.display())]
    Transcript { path: PathBuf, message: String },
    #[error("cannot listen on 127.0.0.1:{port}: {source} (choose another --port, or leave it out for a free one)")]
    Bind { port: u16, source: io::Error },
    #[error("no random source for the session token: {0}")]
    Random(String),
    #[error("the review server stopped: {0}")]
    Serve(io::Error),
}

/// What `kaigiroku review` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// The folder `draft` wrote.
    pub dir: PathBuf,
    /// The recording, when transcript.json's path no longer finds it.
    pub audio: Option<PathBuf>,
    /// 0: a free port.
    pub port: u16,
    /// The confusion list find-and-replace adds to (default
    /// `DIR/corrections.txt`).
    pub corrections: Option<PathBuf>,
}

/// A review ready to serve: the store open, the recording found, the port
/// bound.
pub struct Review {
    app: Arc<App>,
    listener: TcpListener,
    opened: Opened,
}

struct App {
    store: Mutex<Store>,
    transcript: Transcript,
    audio: PathBuf,
    corrections: PathBuf,
    port: u16,
    /// The token of the printed URL, until it is exchanged for the cookie.
    url_token: Mutex<Option<String>>,
    /// The cookie's value.
    secret: String,
}

impl Review {
    /// Opens the draft in `options.dir`, finds (or decodes) the recording
    /// and binds 127.0.0.1.
    pub fn open(options: &Options) -> Result<Review, ReviewError> {
        let dir = &options.dir;
        let transcript_path = dir.join("transcript.json");
        let text =
            std::fs::read_to_string(&transcript_path).map_err(|source| ReviewError::Read {
                path: transcript_path.clone(),
                source,
            })?;
        let transcript: Transcript =
            serde_json::from_str(&text).map_err(|e| ReviewError::Transcript {
                path: transcript_path.clone(),
                message: e.to_string(),
            })?;
        let source = audio::locate(
            dir,
            &transcript_path,
            &transcript.audio,
            options.audio.as_deref(),
        )?;
        let audio = audio::playable(&source, dir)?;
        let (store, opened) = Store::open(dir)?;
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, options.port)).map_err(|source| {
                ReviewError::Bind {
                    port: options.port,
                    source,
                }
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| ReviewError::Bind {
                port: options.port,
                source,
            })?
            .port();
        let app = App {
            store: Mutex::new(store),
            transcript,
            audio,
            corrections: options
                .corrections
                .clone()
                .unwrap_or_else(|| dir.join("corrections.txt")),
            port,
            url_token: Mutex::new(Some(random_token()?)),
            secret: random_token()?,
        };
        Ok(Review {
            app: Arc::new(app),
            listener,
            opened,
        })
    }

    /// The URL to open, with its one-time token.
    pub fn url(&self) -> String {
        let token = lock(&self.app.url_token).clone().unwrap_or_default();
        format!("http://127.0.0.1:{}/?token={token}", self.app.port)
    }

    pub fn port(&self) -> u16 {
        self.app.port
    }

    /// How the store found the folder.
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// The file served as the recording.
    pub fn audio(&self) -> &Path {
        &self.app.audio
    }

    /// The whole API behind its guard (what [`serve`] runs; tests call it
    /// directly).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(index))
            .route("/js/{name}", get(script))
            .route(
                "/style.css",
                get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
            )
            .route_service("/audio", ServeFile::new(&self.app.audio))
            .route("/api/state", get(state))
            .route("/api/edit", post(edit))
            .route("/api/undo", post(undo))
            .route("/api/redo", post(redo))
            .route("/api/replace", post(replace))
            .route("/api/export/{format}", get(export))
            .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
            .fallback(|| async { refuse(StatusCode::NOT_FOUND, "no such page".into()) })
            .layer(middleware::from_fn_with_state(self.app.clone(), guard))
            .with_state(self.app.clone())
    }
}

/// Serves `review` until Ctrl-C.
pub fn serve(review: Review) -> Result<(), ReviewError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ReviewError::Serve)?;
    let router = review.router();
    runtime.block_on(async move {
        review
            .listener
            .set_nonblocking(true)
            .map_err(ReviewError::Serve)?;
        let listener =
            tokio::net::TcpListener::from_std(review.listener).map_err(ReviewError::Serve)?;
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(ReviewError::Serve)
    })
}

/// `GET /api/state`.
#[derive(Serialize)]
pub struct State<'a> {
    pub revision: u64,
    pub can_undo: bool,
    pub can_redo: bool,
    pub draft: &'a Draft,
    pub segments: &'a [Segment],
    pub dropped: &'a [Dropped],
    pub duration: f64,
    pub corrections_file: String,
}

/// `POST /api/replace`.
#[derive(Serialize)]
pub struct Replaced {
    #[serde(flatten)]
    pub saved: Saved,
    pub replaced: usize,
    /// The line added to the confusion list.
    pub correction: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EditRequest {
    revision: u64,
    edits: Vec<DraftEdit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevisionRequest {
    revision: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplaceRequest {
    revision: u64,
    find: String,
    replace: String,
    #[serde(default)]
    add_correction: bool,
}

/// Every request: a loopback Host at our port, the session (but for the
/// token exchange), and for writes an Origin that is the page's own.
async fn guard(Shared(app): Shared<Arc<App>>, request: Request, next: Next) -> Response {
    let mut response = match check(&app, &request) {
        Ok(()) => next.run(request).await,
        Err(message) => refuse(StatusCode::FORBIDDEN, message),
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn check(app: &App, request: &Request) -> Result<(), String> {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let ours = [
        format!("127.0.0.1:{}", app.port),
        format!("localhost:{}", app.port),
    ];
    if !ours.iter().any(|o| o == host) {
        return Err(format!(
            "Host `{host}` is not this review server (127.0.0.1:{}): open the URL `kaigiroku review` printed",
            app.port
        ));
    }
    let exchange = request.method() == Method::GET
        && request.uri().path() == "/"
        && url_token(request.uri()).is_some();
    if !exchange && !has_session(app, headers) {
        return Err(
            "no review session: open the URL `kaigiroku review` printed (it holds the token)"
                .into(),
        );
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if origin != format!("http://{host}") {
            return Err(format!(
                "a change must come from the review page itself (Origin `{origin}`)"
            ));
        }
    }
    Ok(())
}

fn has_session(app: &App, headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .any(|(name, value)| name == COOKIE && same(value, &app.secret))
}

fn url_token(uri: &Uri) -> Option<&str> {
    uri.query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
}

/// `GET /`: the page; with `?token=`, the exchange of the URL's one-time
/// token for the session cookie.
async fn index(Shared(app): Shared<Arc<App>>, uri: Uri, headers: HeaderMap) -> Response {
    let Some(token) = url_token(&uri) else {
        return asset("text/html; charset=utf-8", INDEX_HTML);
    };
    let to_page = |cookie: Option<String>| {
        let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
        if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
        response
    };
    let mut slot = lock(&app.url_token);
    if slot.as_deref().is_some_and(|t| same(t, token)) {
        *slot = None;
        return to_page(Some(format!(
            "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
            app.secret
        )));
    }
    if has_session(&app, &headers) {
        return to_page(None);
    }
    refuse(
        StatusCode::FORBIDDEN,
        "this link was used already or is not this server's: restart `kaigiroku review` for a new one"
            .into(),
    )
}

async fn script(UrlPath(name): UrlPath<String>) -> Response {
    match SCRIPTS.iter().find(|(n, _)| *n == name) {
        Some((_, body)) => asset("text/javascript; charset=utf-8", body),
        None => refuse(StatusCode::NOT_FOUND, format!("no script `{name}`")),
    }
}

async fn state(Shared(app): Shared<Arc<App>>) -> Response {
    let store = lock(&app.store);
    json(
        StatusCode::OK,
        &State {
            revision: store.revision(),
            can_undo: store.can_undo(),
            can_redo: store.can_redo(),
            draft: store.draft(),
            segments: &app.transcript.segments,
            dropped: &app.transcript.dropped,
            duration: app.transcript.duration,
            corrections_file: app.corrections.display().to_string(),
        },
    )
}

async fn edit(Shared(app): Shared<Arc<App>>, body: Bytes) -> Response {
    match parse::<EditRequest>(&body) {
        Ok(r) => change(app, r.revision, Change::Edit(r.edits)).await,
        Err(e) => invalid(&e),
    }
}

async fn undo(Shared(app): Shared<Arc<App>>, body: Bytes) -> Response {
    match parse::<RevisionRequest>(&body) {
        Ok(r) => change(app, r.revision, Change::Undo).await,
        Err(e) => invalid(&e),
    }
}

async fn redo(Shared(app): Shared<Arc<App>>, body: Bytes) -> Response {
    match parse::<RevisionRequest>(&body) {
        Ok(r) => change(app, r.revision, Change::Redo).await,
        Err(e) => invalid(&e),
    }
}

async fn change(app: Arc<App>, revision: u64, change: Change) -> Response {
    blocking(app, move |app| {
        let mut store = lock(&app.store);
        match store.change(revision, change) {
            Ok(saved) => json(StatusCode::OK, &saved),
            Err(e) => store_error(&e),
        }
    })
    .await
}

async fn replace(Shared(app): Shared<Arc<App>>, body: Bytes) -> Response {
    let request = match parse::<ReplaceRequest>(&body) {
        Ok(r) => r,
        Err(e) => return invalid(&e),
    };
    blocking(app, move |app| {
        let mut store = lock(&app.store);
        if request.revision != store.revision() {
            return store_error(&StoreError::Conflict {
                expected: request.revision,
                current: store.revision(),
            });
        }
        let edits = store::replacements(store.draft(), &request.find, &request.replace);
        if edits.is_empty() && !request.add_correction {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("「{}」 is not in the draft's text", request.find),
            );
        }
        let correction = if request.add_correction {
            match store::add_correction(&app.corrections, &request.find, &request.replace) {
                Ok(line) => Some(line),
                Err(e) => return store_error(&e),
            }
        } else {
            None
        };
        let replaced = edits.len();
        let saved = if edits.is_empty() {
            store.saved(None)
        } else {
            match store.change(request.revision, Change::Edit(edits)) {
                Ok(saved) => saved,
                Err(e) => return store_error(&e),
            }
        };
        json(
            StatusCode::OK,
            &Replaced {
                saved,
                replaced,
                correction,
            },
        )
    })
    .await
}

/// `GET /api/export/{docx|md|txt}`: the minutes as they read now, also
/// written (atomically) into the draft's folder.
async fn export(Shared(app): Shared<Arc<App>>, UrlPath(format): UrlPath<String>) -> Response {
    let (format, mime) = match format.as_str() {
        "docx" => (
            Format::Docx,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        "md" => (Format::Markdown, "text/markdown; charset=utf-8"),
        "txt" => (Format::Text, "text/plain; charset=utf-8"),
        other => {
            return refuse(
                StatusCode::NOT_FOUND,
                format!("no export `{other}`: docx, md or txt"),
            )
        }
    };
    blocking(app, move |app| {
        let (dir, draft) = {
            let store = lock(&app.store);
            (store.dir().to_path_buf(), store.draft().clone())
        };
        let path = dir.join(format.file_name());
        let written = render::render(&draft, format).and_then(|bytes| {
            crate::atomic::write_file(&path, |w| io::Write::write_all(w, &bytes))?;
            Ok(bytes)
        });
        match written {
            Ok(bytes) => {
                let disposition = format!("attachment; filename=\"{}\"", format.file_name());
                let mut response = Response::new(Body::from(bytes));
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
                if let Ok(value) = HeaderValue::from_str(&disposition) {
                    headers.insert(header::CONTENT_DISPOSITION, value);
                }
                response
            }
            Err(e) => refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("{}: {e}", path.display()),
            ),
        }
    })
    .await
}

/// Runs `work` (which locks the store and may fsync) off the async threads.
async fn blocking(app: Arc<App>, work: impl FnOnce(&App) -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(move || work(&app))
        .await
        .unwrap_or_else(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(body)
}

fn invalid(e: &serde_json::Error) -> Response {
    refuse(
        StatusCode::BAD_REQUEST,
        format!("the request is not valid: {e}; nothing was changed"),
    )
}

fn store_error(e: &StoreError) -> Response {
    match e {
        StoreError::Conflict { current, .. } => json(
            StatusCode::CONFLICT,
            &serde_json::json!({ "error": e.to_string(), "revision": current }),
        ),
        e if e.is_refusal() => refuse(StatusCode::BAD_REQUEST, format!("{e}; nothing was changed")),
        e => refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn refuse(status: StatusCode, message: String) -> Response {
    json(status, &serde_json::json!({ "error": message }))
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            bytes,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn asset(mime: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, mime)], body).into_response()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Compares secrets in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn random_token() -> Result<String, ReviewError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| ReviewError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;

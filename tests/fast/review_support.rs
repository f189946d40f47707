//! Shared by the review tests: a copy of a real draft of the sample meeting
//! (tests/fixtures/review-sample, made by `kaigiroku draft` on
//! samples/kaigi-2022-01), the `kaigiroku review` process serving it, and a
//! minimal HTTP client (std only) to talk to it as a browser would.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary folder holding the sample's draft.json, transcript.json and
/// turns.json.
pub fn sample_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["draft.json", "transcript.json", "turns.json"] {
        std::fs::copy(
            root().join("tests/fixtures/review-sample").join(name),
            dir.path().join(name),
        )
        .unwrap();
    }
    dir
}

/// `kaigiroku review DIR --no-open`, and the URL it printed.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub port: u16,
}

impl Server {
    pub fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kaigiroku"))
            .arg("review")
            .arg(dir)
            .arg("--no-open")
            .arg("--audio")
            .arg(root().join("samples/kaigi-2022-01/meeting.wav"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "printed `{url}`");
        let port = url["http://127.0.0.1:".len()..]
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        Server { child, url, port }
    }

    /// Exchanges the URL's token for the session cookie (`kaigiroku=…`).
    pub fn session(&self) -> String {
        let path = &self.url[self.url.find("/?").unwrap()..];
        let answer = self.request("GET", path, None, None);
        assert_eq!(answer.status, 303, "{}", answer.body);
        let cookie = answer
            .header("set-cookie")
            .expect("no Set-Cookie")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        cookie
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        http(self.port, method, path, cookie, body)
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// One HTTP/1.1 request, as the page on 127.0.0.1:`port` would send it.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> Answer {
    try_http(port, method, path, cookie, body).unwrap()
}

/// [`http`], for a server that may be gone.
pub fn try_http(
    port: u16,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    let host = format!("127.0.0.1:{port}");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        request += &format!("Cookie: {c}\r\n");
    }
    let body = body.unwrap_or("");
    if method != "GET" {
        request += &format!(
            "Origin: http://{host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    request += "\r\n";
    request += body;
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: body.to_string(),
    })
}

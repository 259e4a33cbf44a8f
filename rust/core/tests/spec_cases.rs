//! Runs the language-neutral request → response cases of `spec/cases/*.json` against the core,
//! without Python: the same files the Python test suite runs against both routers.

use std::fmt::Write as _;
use std::path::PathBuf;

use ferrostatic_core::{
    Body, Coding, HeaderList, Method, ResourceSpec, Router, RouterBuilder, VariantId, VariantSpec,
};
use serde_json::Value;

/// Header values, bodies and queries are Latin-1 strings: each character is one byte.
fn latin1(value: &Value) -> Vec<u8> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("expected a string, got {value}"));
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or_else(|_| panic!("not Latin-1: {text:?}")))
        .collect()
}

fn show(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&c| char::from(c))
        .collect::<String>()
        .escape_debug()
        .to_string()
}

struct OwnedVariant {
    coding: Coding,
    path: Vec<u8>,
    size: u64,
    mtime_ns: i64,
    etag: Vec<u8>,
    body: Option<Vec<u8>>,
}

/// A router built from a case's literal resources, with the in-memory bodies by `VariantId`.
struct Table {
    router: Router,
    bodies: Vec<Option<Vec<u8>>>,
}

fn build(fixture: &Value, redirects: Option<&Value>, standalone: bool, year: i64) -> Table {
    let mut builder = RouterBuilder::new(standalone, year);
    let mut bodies = Vec::new();
    for resource in fixture
        .as_array()
        .expect("a fixture is a list of resources")
    {
        let variants_json = resource["variants"].as_array().expect("variants");
        let owned: Vec<OwnedVariant> = variants_json
            .iter()
            .map(|v| {
                let coding = Coding::from_name(v["coding"].as_str().expect("coding"))
                    .expect("a known coding");
                let body = v.get("body").map(latin1);
                let size = body
                    .as_ref()
                    .map_or_else(|| v["size"].as_u64().expect("size"), |b| b.len() as u64);
                let path = v.get("path").and_then(Value::as_str).unwrap_or("");
                let mtime_ns = v.get("mtime_ns").and_then(Value::as_i64).unwrap_or(0);
                OwnedVariant {
                    coding,
                    path: path.as_bytes().to_vec(),
                    size,
                    mtime_ns,
                    etag: latin1(&v["etag"]),
                    body,
                }
            })
            .collect();
        let specs: Vec<VariantSpec<'_>> = owned
            .iter()
            .map(|v| VariantSpec {
                coding: v.coding,
                path: &v.path,
                size: v.size,
                mtime_ns: v.mtime_ns,
                etag: &v.etag,
            })
            .collect();
        let extra: Vec<(Vec<u8>, Vec<u8>)> = resource
            .get("headers")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .map(|pair| (latin1(&pair[0]), latin1(&pair[1])))
                    .collect()
            })
            .unwrap_or_default();
        let extra_refs: Vec<(&[u8], &[u8])> = extra
            .iter()
            .map(|(n, v)| (n.as_slice(), v.as_slice()))
            .collect();
        let content_type = latin1(&resource["content_type"]);
        let cache_control = resource
            .get("cache_control")
            .filter(|v| !v.is_null())
            .map(latin1);
        let entry = builder
            .resource(&ResourceSpec {
                last_modified: resource.get("last_modified").and_then(Value::as_i64),
                content_type: &content_type,
                cache_control: cache_control.as_deref(),
                variants: &specs,
                headers: &extra_refs,
            })
            .expect("a valid resource");
        bodies.extend(owned.into_iter().map(|v| v.body));
        for url in resource["urls"].as_array().expect("urls") {
            builder
                .route_url(url.as_str().expect("url").as_bytes(), entry)
                .expect("a valid URL");
        }
    }
    for redirect in redirects.and_then(Value::as_array).into_iter().flatten() {
        let cache_control = redirect
            .get("cache_control")
            .filter(|v| !v.is_null())
            .map(latin1);
        builder
            .redirect(
                redirect["url"].as_str().expect("url").as_bytes(),
                &latin1(&redirect["location"]),
                cache_control.as_deref(),
            )
            .expect("a valid redirect");
    }
    Table {
        router: builder.build(),
        bodies,
    }
}

/// What a binding hands to its caller: status, headers, body, file, segments.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    body: Vec<u8>,
    file: Option<String>,
    segments: Vec<(Vec<u8>, u64, u64)>,
}

/// Python slicing: out-of-range bounds clamp.
fn slice(data: &[u8], first: u64, length: u64) -> &[u8] {
    let start = usize::try_from(first).unwrap_or(usize::MAX).min(data.len());
    let end = usize::try_from(first.saturating_add(length))
        .unwrap_or(usize::MAX)
        .min(data.len());
    &data[start..end.max(start)]
}

fn respond(
    table: &Table,
    method: &str,
    path: &str,
    query: &[u8],
    headers: &[(Vec<u8>, Vec<u8>)],
) -> Option<Response> {
    let router = &table.router;
    let outcome = router.resolve(
        Method::from_bytes(method.as_bytes()),
        path.as_bytes(),
        headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice())),
    );
    let mut sink = HeaderList::new(router);
    let rendered = router.render(&outcome, query, &mut sink)?;
    let in_memory = |id: VariantId| table.bodies[id.0 as usize].as_deref();
    let memory = rendered.about.and_then(in_memory);
    let file = match (rendered.about, memory) {
        (Some(id), None) => {
            Some(String::from_utf8(router.variant_path(id).concat()).expect("path"))
        }
        _ => None,
    };
    let mut segments = Vec::new();
    let body = match (&rendered.body, memory) {
        (Body::Empty, _) => Vec::new(),
        (Body::Text(text), _) => text.as_bytes().to_vec(),
        (&Body::Slice { first, length, .. }, Some(data)) => slice(data, first, length).to_vec(),
        (&Body::Slice { first, length, .. }, None) => {
            segments.push((Vec::new(), first, length));
            Vec::new()
        }
        (Body::Multipart(multipart), Some(data)) => {
            let mut body = Vec::new();
            for part in &multipart.parts {
                body.extend_from_slice(&part.prefix);
                body.extend_from_slice(slice(data, part.first, part.length));
            }
            body.extend_from_slice(&multipart.closing);
            body
        }
        (Body::Multipart(multipart), None) => {
            for part in &multipart.parts {
                segments.push((part.prefix.clone(), part.first, part.length));
            }
            multipart.closing.clone()
        }
    };
    Some(Response {
        status: rendered.status,
        headers: sink.headers,
        body,
        file,
        segments,
    })
}

fn pairs(value: &Value) -> Vec<(Vec<u8>, Vec<u8>)> {
    value
        .as_array()
        .expect("a list of pairs")
        .iter()
        .map(|pair| (latin1(&pair[0]), latin1(&pair[1])))
        .collect()
}

/// Every difference between a response and what the case expects, one line each.
fn check(expect: &Value, response: Option<&Response>) -> Vec<String> {
    let mut problems = Vec::new();
    let passes = expect.get("pass").and_then(Value::as_bool).unwrap_or(false);
    let Some(response) = response else {
        if !passes {
            problems.push("passed through, but a response was expected".to_owned());
        }
        return problems;
    };
    if passes {
        problems.push(format!("expected a pass-through, got {}", response.status));
        return problems;
    }
    if let Some(status) = expect.get("status").and_then(Value::as_u64) {
        if u64::from(response.status) != status {
            problems.push(format!("status {} != {status}", response.status));
        }
    }
    let listed = |headers: &[(Vec<u8>, Vec<u8>)]| {
        headers
            .iter()
            .map(|(n, v)| format!("{}: {}", show(n), show(v)))
            .collect::<Vec<_>>()
            .join(" | ")
    };
    if let Some(exact) = expect.get("exact_headers") {
        let exact = pairs(exact);
        if exact != response.headers {
            problems.push(format!(
                "headers\n      got  {}\n      want {}",
                listed(&response.headers),
                listed(&exact)
            ));
        }
    }
    if let Some(subset) = expect.get("headers") {
        // Present with these values, in any order.
        for wanted in pairs(subset) {
            if !response.headers.contains(&wanted) {
                problems.push(format!(
                    "header {}: {} missing in {}",
                    show(&wanted.0),
                    show(&wanted.1),
                    listed(&response.headers)
                ));
            }
        }
    }
    for name in expect
        .get("absent")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = latin1(name);
        if response
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            problems.push(format!("header {} should be absent", show(&name)));
        }
    }
    if let Some(body) = expect.get("body") {
        let body = latin1(body);
        if body != response.body {
            problems.push(format!(
                "body {:?} != {:?}",
                show(&response.body),
                show(&body)
            ));
        }
    }
    if let Some(segments) = expect.get("segments") {
        let segments: Vec<(Vec<u8>, u64, u64)> = segments
            .as_array()
            .expect("segments")
            .iter()
            .map(|s| {
                (
                    latin1(&s[0]),
                    s[1].as_u64().expect("offset"),
                    s[2].as_u64().expect("length"),
                )
            })
            .collect();
        if segments != response.segments {
            problems.push(format!("segments {:?} != {segments:?}", response.segments));
        }
    }
    if let Some(file) = expect.get("file") {
        let file = file.as_str().map(str::to_owned);
        if file != response.file {
            problems.push(format!("file {:?} != {file:?}", response.file));
        }
    }
    problems
}

#[test]
fn spec_cases() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut report = String::new();
    let mut count = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("a readable case file");
        let spec: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        for case in spec["cases"].as_array().expect("cases") {
            count += 1;
            let fixture = &spec["fixtures"][case["fixture"].as_str().expect("fixture")];
            let redirects = case
                .get("redirects")
                .and_then(Value::as_str)
                .map(|name| &spec["redirects"][name]);
            let standalone = case
                .get("standalone")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            let year = case
                .get("current_year")
                .and_then(Value::as_i64)
                .unwrap_or(2026);
            let table = build(fixture, redirects, standalone, year);
            let request = &case["request"];
            let headers = request.get("headers").map(pairs).unwrap_or_default();
            let query = request.get("query").map(latin1).unwrap_or_default();
            let response = respond(
                &table,
                request["method"].as_str().expect("method"),
                request["path"].as_str().expect("path"),
                &query,
                &headers,
            );
            let problems = check(&case["expect"], response.as_ref());
            if !problems.is_empty() {
                let name = case["name"].as_str().unwrap_or("?");
                let _ = writeln!(report, "{file_name}: {name}");
                for problem in problems {
                    let _ = writeln!(report, "    {problem}");
                }
            }
        }
    }
    assert!(count > 0, "no cases in {}", dir.display());
    assert!(report.is_empty(), "failing spec cases:\n{report}");
    println!("{count} spec cases passed");
}

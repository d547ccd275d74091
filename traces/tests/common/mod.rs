//! Shared test helpers: a structural checker for the Mermaid sequence diagrams we emit.

/// Checks `diagram` line by line; returns every problem found (empty: well formed).
///
/// Accepted: a `sequenceDiagram` header, then only `participant NAME` declarations (each
/// name once, before any use), messages `X->>Y: text` / `X-->>Y: text` between declared
/// participants, and notes `Note over P: text`, `Note over P,Q: text`, `Note left of P: text`,
/// `Note right of P: text`. Text must be one non-empty line in which `#` only starts an
/// entity code (`#59;`), `;` only ends one, and `<`/`>` and `%%` do not appear.
pub fn mermaid_problems(diagram: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut lines = diagram
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    match lines.next() {
        Some((_, l)) if l.trim() == "sequenceDiagram" => {}
        other => problems.push(format!("first line is {other:?}, not sequenceDiagram")),
    }
    let mut declared: Vec<String> = Vec::new();
    let mut used = false;
    for (n, raw) in lines {
        let n = n + 1;
        let line = raw.trim();
        let known = |p: &str, problems: &mut Vec<String>| {
            if !declared.iter().any(|d| d == p) {
                problems.push(format!(
                    "line {n}: participant {p:?} used before it is declared"
                ));
            }
        };
        if let Some(name) = line.strip_prefix("participant ") {
            if !is_name(name) {
                problems.push(format!("line {n}: bad participant name {name:?}"));
            }
            if used {
                problems.push(format!(
                    "line {n}: participant {name} declared after messages"
                ));
            }
            if declared.iter().any(|d| d == name) {
                problems.push(format!("line {n}: participant {name} declared twice"));
            }
            declared.push(name.to_string());
            continue;
        }
        used = true;
        let Some((head, text)) = line.split_once(": ") else {
            problems.push(format!("line {n}: no `: text` in {line:?}"));
            continue;
        };
        check_text(n, text, &mut problems);
        if let Some(rest) = head.strip_prefix("Note ") {
            let (single, who) = if let Some(w) = rest.strip_prefix("over ") {
                (false, w)
            } else if let Some(w) = rest.strip_prefix("left of ") {
                (true, w)
            } else if let Some(w) = rest.strip_prefix("right of ") {
                (true, w)
            } else {
                problems.push(format!("line {n}: bad note placement {rest:?}"));
                continue;
            };
            let names: Vec<&str> = who.split(',').collect();
            if names.is_empty() || names.len() > 2 || (single && names.len() != 1) {
                problems.push(format!("line {n}: bad note participants {who:?}"));
            }
            for p in names {
                known(p, &mut problems);
            }
            continue;
        }
        let arrow = if head.contains("-->>") { "-->>" } else { "->>" };
        match head.split_once(arrow) {
            Some((from, to)) if is_name(from) && is_name(to) => {
                known(from, &mut problems);
                known(to, &mut problems);
            }
            _ => problems.push(format!("line {n}: neither a message nor a note: {line:?}")),
        }
    }
    if declared.is_empty() {
        problems.push("no participants".to_string());
    }
    problems
}

/// A participant: a client (`A`) or a client's thread (`A/renewer`; Mermaid's actor names
/// exclude only `+ - > : , ;` and line breaks).
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/')
}

fn check_text(n: usize, text: &str, problems: &mut Vec<String>) {
    if text.trim().is_empty() {
        problems.push(format!("line {n}: empty text"));
    }
    if text.contains('<') || text.contains('>') {
        problems.push(format!("line {n}: raw < or > in text {text:?}"));
    }
    if text.contains("%%") {
        problems.push(format!("line {n}: %% (a Mermaid comment) in text {text:?}"));
    }
    // Every '#' must start an entity `#digits;` (or `#name;`), and every ';' end one.
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                let end = b[i + 1..].iter().position(|&c| c == b';');
                match end {
                    Some(e)
                        if e > 0 && b[i + 1..i + 1 + e].iter().all(u8::is_ascii_alphanumeric) =>
                    {
                        i += e + 2;
                        continue;
                    }
                    _ => problems.push(format!("line {n}: raw '#' in text {text:?}")),
                }
            }
            b';' => problems.push(format!("line {n}: raw ';' in text {text:?}")),
            _ => {}
        }
        i += 1;
    }
}

//! The log review assistant: reads the site's Apache error log and access log
//! in one streaming pass each and sums them up for the operator (levels,
//! hours, the most frequent messages, 4xx/5xx paths, `ModSecurity` and
//! `mod_evasive` blocks). Log text is hostile input: every piece of it is made
//! printable before it is rendered, and query strings are never kept.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use serde::Serialize;

use crate::redact::printable;

/// How many entries the "most frequent" lists keep.
pub const TOP: usize = 10;

/// Distinct messages or paths tracked; past this, new ones are counted as
/// "other" so that a log full of unique junk cannot exhaust memory.
const MAX_DISTINCT: usize = 20_000;

/// Lines longer than this are cut before they are looked at.
const MAX_LINE: usize = 64 * 1024;

/// A time as logged, to the second (no time zone: Apache logs local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LogTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

impl LogTime {
    /// The hour this time falls in: `2026-11-26 10:00`.
    pub fn hour_bucket(self) -> String {
        format!("{:04}-{:02}-{:02} {:02}:00", self.year, self.month, self.day, self.hour)
    }

    /// The hour as one number, cheap to count by while streaming.
    fn hour_key(self) -> u32 {
        ((u32::from(self.year) * 13 + u32::from(self.month)) * 32 + u32::from(self.day)) * 24
            + u32::from(self.hour)
    }
}

/// Counts per hour while streaming; hour labels are made once at the end.
#[derive(Default)]
struct HourCounts {
    counts: HashMap<u32, (LogTime, u64)>,
}

impl HourCounts {
    fn add(&mut self, time: LogTime) {
        self.counts.entry(time.hour_key()).or_insert((time, 0)).1 += 1;
    }

    fn into_labelled(self) -> BTreeMap<String, u64> {
        self.counts.into_values().map(|(time, n)| (time.hour_bucket(), n)).collect()
    }
}

impl fmt::Display for LogTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// One normalised message and when it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageCount {
    /// The message with numbers, addresses and paths collapsed.
    pub message: String,
    pub level: String,
    pub count: u64,
    pub first: Option<LogTime>,
    pub last: Option<LogTime>,
}

/// One `ModSecurity` rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    pub id: String,
    pub msg: String,
    /// "Access denied" entries.
    pub blocks: u64,
    /// "Warning." entries.
    pub warnings: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ModSecuritySummary {
    pub blocks: u64,
    pub warnings: u64,
    /// Most frequent rules first.
    pub rules: Vec<RuleCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EvasiveSummary {
    /// `Blacklisting address ...: possible DoS attack.` entries.
    pub blacklisted: u64,
    /// Requests `mod_evasive` refused ("client denied" from the evasive module).
    pub denied: u64,
    /// Blacklisted addresses, most frequent first.
    pub addresses: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ErrorLogSummary {
    pub lines: u64,
    /// Lines that are not in Apache 2.4's error log format.
    pub unparsed: u64,
    pub first: Option<LogTime>,
    pub last: Option<LogTime>,
    pub by_level: BTreeMap<String, u64>,
    pub by_hour: BTreeMap<String, u64>,
    pub top_messages: Vec<MessageCount>,
    pub modsecurity: ModSecuritySummary,
    pub evasive: EvasiveSummary,
}

/// A request path and how often it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathCount {
    pub path: String,
    pub count: u64,
    /// Status code to count.
    pub statuses: BTreeMap<u16, u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AccessLogSummary {
    pub lines: u64,
    /// Lines that are not in the common/combined format.
    pub unparsed: u64,
    pub first: Option<LogTime>,
    pub last: Option<LogTime>,
    pub requests_by_hour: BTreeMap<String, u64>,
    pub client_errors: u64,
    pub server_errors: u64,
    pub top_client_error_paths: Vec<PathCount>,
    pub top_server_error_paths: Vec<PathCount>,
}

/// What the operator reviews.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LogSummary {
    /// The error log's name as shown (an inside path), and its summary.
    pub error_log: Option<(String, ErrorLogSummary)>,
    pub access_log: Option<(String, AccessLogSummary)>,
}

/// Summarises the error log and the access log at these host paths; each
/// is shown under its `shown` name.
pub fn summarise_files(
    error_log: Option<(&Path, &str)>,
    access_log: Option<(&Path, &str)>,
) -> io::Result<LogSummary> {
    let mut summary = LogSummary::default();
    if let Some((path, shown)) = error_log {
        let file = std::fs::File::open(path)?;
        let reader = BufReader::with_capacity(256 * 1024, file);
        summary.error_log = Some((shown.to_owned(), summarise_error_log(reader)?));
    }
    if let Some((path, shown)) = access_log {
        let file = std::fs::File::open(path)?;
        let reader = BufReader::with_capacity(256 * 1024, file);
        summary.access_log = Some((shown.to_owned(), summarise_access_log(reader)?));
    }
    Ok(summary)
}

/// Calls `each` with every line (without its newline, cut at [`MAX_LINE`]),
/// decoding invalid UTF-8 lossily, reusing one buffer.
fn for_each_line(mut reader: impl BufRead, mut each: impl FnMut(&str)) -> io::Result<()> {
    let mut buffer = Vec::with_capacity(1024);
    loop {
        buffer.clear();
        if reader.read_until(b'\n', &mut buffer)? == 0 {
            return Ok(());
        }
        while buffer.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buffer.pop();
        }
        buffer.truncate(MAX_LINE);
        match std::str::from_utf8(&buffer) {
            Ok(line) => each(line),
            Err(_) => each(&String::from_utf8_lossy(&buffer)),
        }
    }
}

#[derive(Default)]
struct MessageStats {
    level: &'static str,
    count: u64,
    first: Option<LogTime>,
    last: Option<LogTime>,
}

/// Reads an Apache 2.4 error log.
pub fn summarise_error_log(reader: impl BufRead) -> io::Result<ErrorLogSummary> {
    let mut summary = ErrorLogSummary::default();
    let mut messages: HashMap<String, MessageStats> = HashMap::new();
    let mut rules: HashMap<String, RuleCount> = HashMap::new();
    let mut evasive_addresses: HashMap<String, u64> = HashMap::new();
    let mut levels = [0u64; LEVELS.len()];
    let mut hours = HourCounts::default();
    let mut key = String::new();

    for_each_line(reader, |line| {
        summary.lines += 1;
        let Some(entry) = parse_error_line(line) else {
            if !line.trim().is_empty() {
                summary.unparsed += 1;
            }
            return;
        };
        note_time(&mut summary.first, &mut summary.last, entry.time);
        levels[entry.level_at] += 1;
        hours.add(entry.time);

        key.clear();
        if let Some(modsec) = entry.message.strip_prefix("ModSecurity: ") {
            key.push_str(&note_modsecurity(modsec, &mut summary.modsecurity, &mut rules));
        } else {
            normalise_into(entry.message, &mut key);
        }
        if entry.module.starts_with("evasive") || entry.message.contains("possible DoS attack") {
            note_evasive(entry.message, &mut summary.evasive, &mut evasive_addresses);
        }

        let distinct = messages.len();
        let stats = if messages.contains_key(key.as_str()) {
            messages.get_mut(key.as_str())
        } else if distinct < MAX_DISTINCT {
            Some(messages.entry(key.clone()).or_default())
        } else {
            Some(messages.entry("(other messages)".to_owned()).or_default())
        };
        let Some(stats) = stats else { return };
        if stats.count == 0 {
            stats.level = entry.level;
        }
        stats.count += 1;
        note_time(&mut stats.first, &mut stats.last, entry.time);
    })?;
    summary.by_level = LEVELS
        .iter()
        .zip(levels)
        .filter(|(_, n)| *n > 0)
        .map(|(level, n)| ((*level).to_owned(), n))
        .collect();
    summary.by_hour = hours.into_labelled();

    let mut top: Vec<MessageCount> = messages
        .into_iter()
        .map(|(message, s)| MessageCount {
            message,
            level: s.level.to_owned(),
            count: s.count,
            first: s.first,
            last: s.last,
        })
        .collect();
    top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.message.cmp(&b.message)));
    top.truncate(TOP);
    summary.top_messages = top;

    let mut rules: Vec<RuleCount> = rules.into_values().collect();
    rules.sort_by(|a, b| {
        (b.blocks + b.warnings).cmp(&(a.blocks + a.warnings)).then_with(|| a.id.cmp(&b.id))
    });
    rules.truncate(TOP);
    summary.modsecurity.rules = rules;

    let mut addresses: Vec<(String, u64)> = evasive_addresses.into_iter().collect();
    addresses.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    addresses.truncate(TOP);
    summary.evasive.addresses = addresses;
    Ok(summary)
}

fn note_time(first: &mut Option<LogTime>, last: &mut Option<LogTime>, time: LogTime) {
    if first.is_none_or(|f| time < f) {
        *first = Some(time);
    }
    if last.is_none_or(|l| time > l) {
        *last = Some(time);
    }
}

/// Counts a `ModSecurity` entry and returns its message key: the verdict, the
/// rule id and the rule's msg.
fn note_modsecurity(
    text: &str,
    summary: &mut ModSecuritySummary,
    rules: &mut HashMap<String, RuleCount>,
) -> String {
    let blocked = text.starts_with("Access denied");
    let warning = text.starts_with("Warning.");
    if blocked {
        summary.blocks += 1;
    } else if warning {
        summary.warnings += 1;
    }
    let id = bracket_field(text, "id").unwrap_or("?");
    let msg = bracket_field(text, "msg").unwrap_or("");
    if blocked || warning {
        let distinct = rules.len();
        if rules.contains_key(id) || distinct < MAX_DISTINCT {
            let rule = rules.entry(id.to_owned()).or_insert_with(|| RuleCount {
                id: id.to_owned(),
                msg: msg.to_owned(),
                blocks: 0,
                warnings: 0,
            });
            if blocked {
                rule.blocks += 1;
            } else {
                rule.warnings += 1;
            }
        }
    }
    let verdict = if blocked {
        "Access denied"
    } else if warning {
        "Warning"
    } else {
        return format!("ModSecurity: {}", normalise(text.split(" [").next().unwrap_or(text)));
    };
    format!("ModSecurity: {verdict} [id {id}] {}", normalise(msg))
}

/// The value of a `ModSecurity` `[name "value"]` field.
fn bracket_field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("[{name} \"");
    let start = text.find(&marker)? + marker.len();
    let len = text[start..].find("\"]")?;
    Some(&text[start..start + len])
}

fn note_evasive(message: &str, summary: &mut EvasiveSummary, addresses: &mut HashMap<String, u64>) {
    if let Some(rest) = message.strip_prefix("Blacklisting address ") {
        summary.blacklisted += 1;
        let address = rest.split(':').next().unwrap_or(rest).trim();
        // An IPv6 address holds colons: take up to ": possible".
        let address =
            rest.split(": possible").next().filter(|a| a.contains(':')).unwrap_or(address);
        if addresses.len() < MAX_DISTINCT || addresses.contains_key(address) {
            *addresses.entry(address.to_owned()).or_default() += 1;
        }
    } else if message.starts_with("client denied") {
        summary.denied += 1;
    }
}

/// One parsed error log line.
struct ErrorEntry<'a> {
    time: LogTime,
    module: &'a str,
    level: &'static str,
    /// Index of `level` in [`LEVELS`].
    level_at: usize,
    message: &'a str,
}

/// `[Thu Nov 26 10:12:01.123456 2026] [core:error] [pid 123:tid 4] [client
/// 192.0.2.1:1234] AH00128: File does not exist: /var/www/x`
fn parse_error_line(line: &str) -> Option<ErrorEntry<'_>> {
    let rest = line.strip_prefix('[')?;
    let (stamp, mut rest) = rest.split_once(']')?;
    let time = parse_error_time(stamp)?;

    let mut module = "";
    let mut level = "";
    let mut level_at = 0;
    loop {
        rest = rest.trim_start();
        let Some(inner) = rest.strip_prefix('[') else { break };
        let Some((group, after)) = inner.split_once(']') else { break };
        if level.is_empty() {
            // `[module:level]` (2.4) or `[level]` (2.2).
            let (m, l) = group.split_once(':').unwrap_or(("", group));
            level_at = level_index(l)?;
            module = m;
            level = LEVELS[level_at];
        } else if !(group.starts_with("pid ")
            || group.starts_with("client ")
            || group.starts_with("remote "))
        {
            break;
        }
        rest = after;
    }
    if level.is_empty() {
        return None;
    }
    let message = rest.trim();
    // "AH00128: " names the message; the text after it is what varies less.
    let message = match message.split_once(": ") {
        Some((code, text)) if is_ah_code(code) => text,
        _ => message,
    };
    let message = message.split(", referer: ").next().unwrap_or(message);
    Some(ErrorEntry { time, module, level, level_at, message })
}

/// Apache's log levels, most severe first.
const LEVELS: [&str; 16] = [
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug", "trace1", "trace2",
    "trace3", "trace4", "trace5", "trace6", "trace7", "trace8",
];

fn level_index(level: &str) -> Option<usize> {
    LEVELS.iter().position(|l| *l == level)
}

fn is_ah_code(code: &str) -> bool {
    code.len() == 7 && code.starts_with("AH") && code[2..].bytes().all(|b| b.is_ascii_digit())
}

/// `Thu Nov 26 10:12:01.123456 2026`
fn parse_error_time(stamp: &str) -> Option<LogTime> {
    let mut parts = stamp.split_whitespace();
    let _weekday = parts.next()?;
    let month = month_number(parts.next()?)?;
    let day = parts.next()?.parse().ok()?;
    let clock = parts.next()?;
    let year = parts.next()?.parse().ok()?;
    let (hour, minute, second) = parse_clock(clock)?;
    Some(LogTime { year, month, day, hour, minute, second })
}

fn parse_clock(clock: &str) -> Option<(u8, u8, u8)> {
    let mut fields = clock.split(':');
    let hour = fields.next()?.parse().ok()?;
    let minute = fields.next()?.parse().ok()?;
    let second = fields.next()?.split('.').next()?.parse().ok()?;
    (hour < 24 && minute < 60 && second < 61).then_some((hour, minute, second))
}

fn month_number(name: &str) -> Option<u8> {
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    MONTHS.iter().position(|m| *m == name).and_then(|i| u8::try_from(i + 1).ok())
}

/// Collapses what varies between otherwise equal messages: paths become
/// `<path>`, addresses `<addr>`, runs of digits `N`, quoted strings kept.
pub fn normalise(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(256));
    normalise_into(message, &mut out);
    out
}

fn normalise_into(message: &str, out: &mut String) {
    for (index, word) in message.split_whitespace().enumerate() {
        if index > 0 {
            out.push(' ');
        }
        if out.len() > 300 {
            out.push('…');
            break;
        }
        let core = word.trim_end_matches([',', ';', ':', ')', '.', '\'', '"']);
        let tail = &word[core.len()..];
        let lead = core.len() - core.trim_start_matches(['(', '\'', '"']).len();
        let (head, core) = core.split_at(lead);
        out.push_str(head);
        if core.starts_with('/') || core.contains("://") {
            out.push_str("<path>");
        } else if looks_like_address(core) {
            out.push_str("<addr>");
        } else {
            let mut in_digits = false;
            for ch in core.chars() {
                if ch.is_ascii_digit() {
                    if !in_digits {
                        out.push('N');
                    }
                    in_digits = true;
                } else {
                    out.push(ch);
                    in_digits = false;
                }
            }
        }
        out.push_str(tail);
    }
}

/// An IPv4 address (with an optional port) or an IPv6 address.
fn looks_like_address(word: &str) -> bool {
    let word = word.trim_start_matches('[').trim_end_matches(']');
    let v4 = word.split(':').next().unwrap_or(word);
    let dotted = v4.split('.').count() == 4
        && v4
            .split('.')
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()));
    let v6 = word.matches(':').count() >= 2
        && word.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    dotted || v6
}

/// Reads an access log in common or combined format.
pub fn summarise_access_log(reader: impl BufRead) -> io::Result<AccessLogSummary> {
    let mut summary = AccessLogSummary::default();
    let mut client: HashMap<String, PathCount> = HashMap::new();
    let mut server: HashMap<String, PathCount> = HashMap::new();
    let mut hours = HourCounts::default();

    for_each_line(reader, |line| {
        summary.lines += 1;
        let Some(entry) = parse_access_line(line) else {
            if !line.trim().is_empty() {
                summary.unparsed += 1;
            }
            return;
        };
        note_time(&mut summary.first, &mut summary.last, entry.time);
        hours.add(entry.time);
        let paths = match entry.status {
            400..=499 => {
                summary.client_errors += 1;
                &mut client
            }
            500..=599 => {
                summary.server_errors += 1;
                &mut server
            }
            _ => return,
        };
        if !paths.contains_key(entry.path) {
            let key = if paths.len() < MAX_DISTINCT { entry.path } else { "(other paths)" };
            paths.entry(key.to_owned()).or_insert_with(|| PathCount {
                path: key.to_owned(),
                count: 0,
                statuses: BTreeMap::new(),
            });
        }
        let key = if paths.contains_key(entry.path) { entry.path } else { "(other paths)" };
        let Some(count) = paths.get_mut(key) else { return };
        count.count += 1;
        *count.statuses.entry(entry.status).or_default() += 1;
    })?;

    summary.requests_by_hour = hours.into_labelled();
    summary.top_client_error_paths = top_paths(client);
    summary.top_server_error_paths = top_paths(server);
    Ok(summary)
}

fn top_paths(paths: HashMap<String, PathCount>) -> Vec<PathCount> {
    let mut all: Vec<PathCount> = paths.into_values().collect();
    all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.path.cmp(&b.path)));
    all.truncate(TOP);
    all
}

struct AccessEntry<'a> {
    time: LogTime,
    /// The request path without its query string (which may carry tokens).
    path: &'a str,
    status: u16,
}

/// `192.0.2.1 - - [26/Nov/2026:10:12:01 +0000] "GET /x?y HTTP/1.1" 404 123 "-" "ua"`
fn parse_access_line(line: &str) -> Option<AccessEntry<'_>> {
    let open = line.find(" [")?;
    let rest = &line[open + 2..];
    let (stamp, rest) = rest.split_once(']')?;
    let time = parse_access_time(stamp)?;
    let rest = rest.trim_start().strip_prefix('"')?;
    // The request line may hold escaped quotes (`\"`); find the closing one.
    let close = find_unescaped_quote(rest)?;
    let request = &rest[..close];
    let status = rest[close + 1..].split_whitespace().next()?.parse::<u16>().ok()?;
    if !(100..=599).contains(&status) {
        return None;
    }
    let mut words = request.split(' ');
    let target = match (words.next(), words.next()) {
        (Some(_method), Some(target)) => target,
        _ => "(malformed request)",
    };
    let path = target.split(['?', '#']).next().unwrap_or(target);
    Some(AccessEntry { time, path, status })
}

fn find_unescaped_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// `26/Nov/2026:10:12:01 +0000`
fn parse_access_time(stamp: &str) -> Option<LogTime> {
    let stamp = stamp.split_whitespace().next()?;
    let mut parts = stamp.splitn(3, '/');
    let day = parts.next()?.parse().ok()?;
    let month = month_number(parts.next()?)?;
    let (year, clock) = parts.next()?.split_once(':')?;
    let year = year.parse().ok()?;
    let (hour, minute, second) = parse_clock(clock)?;
    Some(LogTime { year, month, day, hour, minute, second })
}

/// The summary as text for the terminal and reports. Every piece of log
/// text goes through [`printable`].
pub fn render_text(summary: &LogSummary) -> String {
    let mut out = String::new();
    if let Some((name, errors)) = &summary.error_log {
        render_error_log(&mut out, name, errors);
    }
    if let Some((name, access)) = &summary.access_log {
        if !out.is_empty() {
            out.push('\n');
        }
        render_access_log(&mut out, name, access);
    }
    if out.is_empty() {
        out.push_str("No log to review.\n");
    }
    out
}

fn span(first: Option<LogTime>, last: Option<LogTime>) -> String {
    match (first, last) {
        (Some(first), Some(last)) => format!("{first} to {last}"),
        _ => "no dated entries".to_owned(),
    }
}

fn render_error_log(out: &mut String, name: &str, s: &ErrorLogSummary) {
    let _ = writeln!(
        out,
        "Error log {}: {} lines, {}",
        printable(name),
        s.lines,
        span(s.first, s.last)
    );
    if s.unparsed > 0 {
        let _ = writeln!(out, "  {} lines not in Apache's error log format", s.unparsed);
    }
    if !s.by_level.is_empty() {
        let levels: Vec<String> =
            s.by_level.iter().map(|(level, n)| format!("{} {n}", printable(level))).collect();
        let _ = writeln!(out, "  By level: {}", levels.join(", "));
    }
    render_busiest_hours(out, &s.by_hour, "entries");
    if !s.top_messages.is_empty() {
        let _ = writeln!(out, "  Most frequent messages:");
        for m in &s.top_messages {
            let _ = writeln!(
                out,
                "    {:>7}  [{}] {}  ({})",
                m.count,
                printable(&m.level),
                printable(&m.message),
                span(m.first, m.last)
            );
        }
    }
    let modsec = &s.modsecurity;
    if modsec.blocks + modsec.warnings > 0 {
        let _ = writeln!(
            out,
            "  ModSecurity: {} requests blocked, {} warnings",
            modsec.blocks, modsec.warnings
        );
        for rule in &modsec.rules {
            let _ = writeln!(
                out,
                "    rule {}: {} blocked, {} warnings  {}",
                printable(&rule.id),
                rule.blocks,
                rule.warnings,
                printable(&rule.msg)
            );
        }
    } else {
        let _ = writeln!(out, "  ModSecurity: no blocks or warnings logged");
    }
    let evasive = &s.evasive;
    if evasive.blacklisted + evasive.denied > 0 {
        let _ = writeln!(
            out,
            "  mod_evasive: {} addresses blacklisted, {} requests denied",
            evasive.blacklisted, evasive.denied
        );
        for (address, n) in &evasive.addresses {
            let _ = writeln!(out, "    {} ({n} times)", printable(address));
        }
    } else {
        let _ = writeln!(out, "  mod_evasive: no blocks logged");
    }
}

fn render_access_log(out: &mut String, name: &str, s: &AccessLogSummary) {
    let _ = writeln!(
        out,
        "Access log {}: {} requests, {}",
        printable(name),
        s.lines - s.unparsed,
        span(s.first, s.last)
    );
    if s.unparsed > 0 {
        let _ = writeln!(out, "  {} lines not in the combined log format", s.unparsed);
    }
    render_busiest_hours(out, &s.requests_by_hour, "requests");
    let _ = writeln!(out, "  Client errors (4xx): {}", s.client_errors);
    render_paths(out, &s.top_client_error_paths);
    let _ = writeln!(out, "  Server errors (5xx): {}", s.server_errors);
    render_paths(out, &s.top_server_error_paths);
}

fn render_paths(out: &mut String, paths: &[PathCount]) {
    for p in paths {
        let statuses: Vec<String> =
            p.statuses.iter().map(|(code, n)| format!("{code}×{n}")).collect();
        let _ =
            writeln!(out, "    {:>7}  {}  ({})", p.count, printable(&p.path), statuses.join(" "));
    }
}

/// The busiest hours, most entries first (at most five).
fn render_busiest_hours(out: &mut String, by_hour: &BTreeMap<String, u64>, what: &str) {
    if by_hour.is_empty() {
        return;
    }
    let mut hours: Vec<(&String, &u64)> = by_hour.iter().collect();
    hours.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let busiest: Vec<String> =
        hours.iter().take(5).map(|(hour, n)| format!("{hour} ({n})")).collect();
    let _ = writeln!(out, "  {} hours with {what}; busiest: {}", by_hour.len(), busiest.join(", "));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_line_is_split_into_its_parts() {
        let line = "[Thu Nov 26 10:12:01.123456 2026] [core:error] [pid 123:tid 99] [client \
                    192.0.2.1:1234] AH00128: File does not exist: /var/www/html/x.php, \
                    referer: http://example.com/";
        let entry = parse_error_line(line).expect("parses");
        assert_eq!(entry.time.to_string(), "2026-11-26 10:12:01");
        assert_eq!((entry.module, entry.level), ("core", "error"));
        assert_eq!(entry.message, "File does not exist: /var/www/html/x.php");
        assert_eq!(normalise(entry.message), "File does not exist: <path>");
    }

    #[test]
    fn normalising_collapses_numbers_addresses_and_paths() {
        assert_eq!(
            normalise("Timeout after 30s from 192.0.2.7:443 (pid 42) for '/tmp/x'"),
            "Timeout after Ns from <addr> (pid N) for '<path>'"
        );
        assert_eq!(normalise("peer 2001:db8::1 closed"), "peer <addr> closed");
    }

    #[test]
    fn an_access_line_keeps_the_path_and_drops_the_query() {
        let line = "192.0.2.1 - - [26/Nov/2026:10:12:01 +0000] \"GET /reset?token=abc HTTP/1.1\" \
                    404 123 \"-\" \"curl/8\"";
        let entry = parse_access_line(line).expect("parses");
        assert_eq!((entry.path, entry.status), ("/reset", 404));
        assert_eq!(entry.time.hour_bucket(), "2026-11-26 10:00");
    }

    #[test]
    fn modsecurity_fields_are_read() {
        let text = "Access denied with code 403 (phase 2). Matched \"Operator `Ge' ...\" \
                    [file \"/usr/share/modsecurity-crs/rules/REQUEST-949.conf\"] [line \"80\"] \
                    [id \"949110\"] [msg \"Inbound Anomaly Score Exceeded (Total Score: 5)\"]";
        assert_eq!(bracket_field(text, "id"), Some("949110"));
        let mut summary = ModSecuritySummary::default();
        let mut rules = HashMap::new();
        let key = note_modsecurity(text, &mut summary, &mut rules);
        assert_eq!(
            key,
            "ModSecurity: Access denied [id 949110] Inbound Anomaly Score Exceeded (Total Score: N)"
        );
        assert_eq!(summary.blocks, 1);
    }
}

//! Drawing: a pure read of the [`App`]. Every piece of text that came from
//! the target (evidence, diffs, command output, journal rows) passes through
//! `redact::printable` and is cut to the screen, so that escape sequences and
//! bidi overrides show as visible text and never reach the terminal.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::finding::Status;
use crate::redact::printable;
use crate::tui::app::{
    App, ApplyOutcome, Confirm, ConfirmKind, EXPIRY_WARNING_DAYS, FixChoice, ItemRow, Jump, Mark,
    Outcome, Overlay, PlanState, Progress, Prompt, Screen, StepStatus, TargetField, staged_for,
};
use crate::tui::keys::HELP;
use crate::tui::theme::{Glyphs, Theme};

/// The theme and the glyphs together: how the screens look.
#[derive(Debug, Clone)]
pub struct Look {
    pub theme: Theme,
    pub glyphs: Glyphs,
}

/// Draws the whole interface for the current state.
pub fn draw(frame: &mut Frame, app: &App, look: &Look) {
    let [header, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());

    draw_header(frame, header, app, look);
    match app.screen() {
        Screen::Start => draw_start(frame, body, app, look),
        Screen::Overview => draw_overview(frame, body, app, look),
        Screen::Walk => draw_walk(frame, body, app, look),
        Screen::Staged => draw_staged(frame, body, app, look),
        Screen::Applying => draw_applying(frame, body, app, look),
        Screen::Journal => draw_journal(frame, body, app, look),
        Screen::Finish => draw_finish(frame, body, app, look),
    }
    draw_status(frame, status, app, look);
    frame.render_widget(Paragraph::new(hint_line(app)).style(look.theme.muted), hints);

    match app.overlay() {
        Some(Overlay::Help) => draw_help(frame, frame.area(), look),
        Some(Overlay::References) => draw_references(frame, app, look),
        Some(Overlay::Confirm(confirm)) => {
            let mut lines: Vec<Line> =
                confirm.lines.iter().map(|l| Line::raw(printable(l))).collect();
            lines.push(Line::raw(""));
            lines.push(Line::styled("[y] yes    [n] no", look.theme.accent));
            // At the top, over the title and the why, so that the diff the
            // operator is agreeing to stays in view below it.
            if matches!(confirm.kind, ConfirmKind::Apply { .. }) {
                draw_window_at_top(frame, &printable(&confirm.title), lines, look);
            } else {
                draw_window(frame, &printable(&confirm.title), lines, look);
            }
        }
        Some(Overlay::Prompt(prompt)) => draw_prompt(frame, frame.area(), prompt, look),
        Some(Overlay::Jump(jump)) => draw_jump(frame, frame.area(), app, jump, look),
        None => {}
    }
}

fn block<'a>(title: &'a str, look: &Look) -> Block<'a> {
    Block::new()
        .borders(Borders::ALL)
        .border_set(look.glyphs.border)
        .border_style(look.theme.border)
        .title(Span::styled(format!(" {title} "), look.theme.title))
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let tabs = [
        (Screen::Start, "Target"),
        (Screen::Overview, "Overview"),
        (Screen::Walk, "Walk"),
        (Screen::Journal, "Journal"),
        (Screen::Finish, "Finish"),
    ];
    let current = match app.screen() {
        Screen::Staged | Screen::Applying => Screen::Walk,
        other => other,
    };
    let mut spans = vec![Span::styled(" portcullis ", look.theme.title)];
    for (screen, name) in tabs {
        let style = if screen == current { look.theme.selection } else { look.theme.muted };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {name} "), style));
    }
    let counts = app.counts(None);
    let running = app.items().iter().any(|i| i.progress == Progress::Running);
    let progress = match (running, app.checks_elapsed) {
        (true, _) => {
            let spinner = look.glyphs.spinner_frame(app.tick);
            format!("  {spinner} {}/{} checked", counts.done, counts.total)
        }
        (false, Some(elapsed)) => {
            // The full wording where it fits; a shorter one at 80 columns,
            // so that the unit is never cut off.
            let used: usize = spans.iter().map(Span::width).sum();
            let room = usize::from(area.width).saturating_sub(used);
            let seconds = elapsed.as_secs_f64();
            let long = format!("  {}/{} checked in {seconds:.1} s", counts.done, counts.total);
            if long.chars().count() <= room {
                long
            } else {
                format!(" {}/{} checked {seconds:.1}s", counts.done, counts.total)
            }
        }
        (false, None) => format!("  {}/{} checked", counts.done, counts.total),
    };
    spans.push(Span::styled(progress, if running { look.theme.running } else { look.theme.muted }));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let line = match app.notice() {
        Some(notice) if notice.is_error => {
            Line::styled(format!(" {}", printable(&notice.text)), look.theme.fail)
        }
        Some(notice) => Line::styled(format!(" {}", printable(&notice.text)), look.theme.accent),
        None => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn hint_line(app: &App) -> String {
    let keys = match (app.overlay(), app.screen()) {
        (Some(Overlay::Prompt(_)), _) => "Enter submit  Esc cancel",
        (Some(Overlay::Jump(_)), _) => "type to filter  Up/Down choose  Enter go  Esc cancel",
        (Some(Overlay::Confirm(_)), _) => "y yes  n no",
        (Some(_), _) => "Esc close",
        (None, Screen::Start) => {
            "Up/Down field  e correct  r resume  x new  o overview  ? help  q quit"
        }
        (None, Screen::Overview) => {
            "Up/Down item  Left/Right section  Enter walk  c re-check  ? help  q quit"
        }
        (None, Screen::Walk) => {
            "n/p item  a apply  s skip  w waive  m confirm  c re-check  l links  ? help"
        }
        (None, Screen::Staged) => "Up/Down choose  Enter apply  Esc back",
        (None, Screen::Applying) => "Enter back to the walk (when finished)",
        (None, Screen::Journal) => "Up/Down entry  Enter roll back  Esc back  q quit",
        (None, Screen::Finish) => "q quit and print the summary  o overview  g jump",
    };
    format!(" {keys}")
}

// --- Start -----------------------------------------------------------------

fn draw_start(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let offer_height = if app.resume.is_some() { 5 } else { 0 };
    let [target, offer_area, overview] = Layout::vertical([
        Constraint::Length(7),
        Constraint::Length(offer_height),
        Constraint::Min(3),
    ])
    .areas(area);

    let width = usize::from(target.width.saturating_sub(22));
    let lines: Vec<Line> = TargetField::ALL
        .iter()
        .enumerate()
        .map(|(index, field)| {
            let selected = index == app.target_cursor;
            let pointer = if selected { look.glyphs.pointer } else { " " };
            let value = app.target.get(*field).map_or_else(
                || Span::styled("(not found)", look.theme.unknown),
                |value| Span::styled(cut(&printable(value), width), look.theme.text),
            );
            let label_style = if selected { look.theme.selection } else { look.theme.muted };
            Line::from(vec![
                Span::styled(format!("{pointer} "), look.theme.accent),
                Span::styled(format!("{:<16}", field.label()), label_style),
                Span::raw(" "),
                value,
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block("Target (e to correct)", look)), target);

    if let Some(offer) = &app.resume {
        let mut lines = vec![Line::from(vec![
            Span::styled("A saved session: ", look.theme.accent),
            Span::raw(format!(
                "{} of {} items done, saved {}",
                offer.done,
                offer.total,
                printable(&offer.saved_at)
            )),
        ])];
        if let Some(position) = &offer.position {
            lines.push(Line::raw(format!("stopped at {}", printable(position))));
        }
        let changed = if offer.changed.is_empty() {
            "nothing changed on the target since".to_owned()
        } else {
            format!("changed since: {}", printable(&offer.changed.join(", ")))
        };
        lines.push(Line::styled(changed, look.theme.muted));
        frame.render_widget(
            Paragraph::new(lines).block(block("Resume? r resume, x start new", look)),
            offer_area,
        );
    }
    let sections_height = u16::try_from(app.sections().len()).unwrap_or(10).saturating_add(3);
    if overview.height >= sections_height + 4 {
        draw_overview(frame, overview, app, look);
    } else {
        draw_sections(frame, overview, app, look);
    }
}

// --- Overview --------------------------------------------------------------

fn draw_overview(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let height = u16::try_from(app.sections().len()).unwrap_or(10).saturating_add(3);
    let [sections, items] =
        Layout::vertical([Constraint::Length(height), Constraint::Min(3)]).areas(area);
    draw_sections(frame, sections, app, look);
    draw_section_items(frame, items, app, look);
}

fn draw_sections(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let g = &look.glyphs;
    let t = &look.theme;
    let selected = app.selected_section();
    let title_width = usize::from(area.width / 4).clamp(8, 24);
    let bar_width = if area.width >= 100 { 20 } else { 10 };
    let mut lines: Vec<Line> = app
        .sections()
        .iter()
        .enumerate()
        .map(|(index, section)| {
            let c = app.counts(Some(index));
            let filled = (c.done * bar_width).checked_div(c.total).unwrap_or(0);
            let pointer =
                if index == selected && app.screen() == Screen::Overview { g.pointer } else { " " };
            Line::from(vec![
                Span::styled(format!("{pointer} "), t.accent),
                Span::styled(
                    format!("{:<title_width$} ", cut(&section.title, title_width)),
                    t.text,
                ),
                Span::styled(g.bar_full.repeat(filled), t.pass),
                Span::styled(g.bar_empty.repeat(bar_width - filled), t.muted),
                Span::styled(format!(" {:>3}/{:<3}", c.done, c.total), t.muted),
                Span::styled(format!(" {}{}", g.pass, c.pass), t.pass),
                Span::styled(format!(" {}{}", g.fail, c.fail), t.fail),
                Span::styled(format!(" {}{}", g.unknown, c.unknown), t.unknown),
                Span::styled(format!(" {}{}", g.fixed, c.fixed), t.fixed),
                Span::styled(format!(" {}{}", g.skipped, c.skipped), t.skipped),
                Span::styled(format!(" {}{}", g.waived, c.waived), t.waived),
            ])
        })
        .collect();
    let mut legend = vec![Span::styled(
        format!(
            "  {} pass  {} fail  {} unknown  {} fixed  {} skipped  {} waived",
            g.pass, g.fail, g.unknown, g.fixed, g.skipped, g.waived
        ),
        t.muted,
    )];
    let expiring = app.waivers_expiring_soon().len();
    if expiring > 0 {
        legend.push(Span::styled(
            format!("   {expiring} waiver(s) expire within {EXPIRY_WARNING_DAYS} days"),
            t.unknown,
        ));
    }
    lines.push(Line::from(legend));
    frame.render_widget(Paragraph::new(lines).block(block("Sections", look)), area);
}

fn draw_section_items(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let section = app.selected_section();
    let title = app.sections().get(section).map_or("Items", |s| s.title.as_str());
    let inner_height = usize::from(area.height.saturating_sub(2)).max(1);
    let rows: Vec<_> = app.section_items(section).collect();
    let position = rows.iter().position(|(index, _)| *index == app.selected).unwrap_or(0);
    let offset = (position + 1).saturating_sub(inner_height);
    let width = usize::from(area.width.saturating_sub(4));
    let lines: Vec<Line> = rows
        .iter()
        .skip(offset)
        .take(inner_height)
        .map(|(index, item)| {
            let outcome = item.outcome();
            let summary = item.finding.as_ref().map_or("", |f| f.summary.as_str());
            let text = format!("{:<8} {}  {}", item.severity.as_str(), item.title, summary);
            let line_style =
                if *index == app.selected { look.theme.selection } else { look.theme.text };
            Line::from(vec![
                Span::styled(
                    format!(" {} ", look.glyphs.outcome(outcome, app.tick)),
                    look.theme.outcome(outcome),
                ),
                Span::styled(cut(&printable(&text), width.saturating_sub(3)), line_style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block(title, look)), area);
}

// --- Walk ------------------------------------------------------------------

fn draw_walk(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let Some(item) = app.selected_item() else {
        frame.render_widget(Paragraph::new("The checklist is empty."), area);
        return;
    };
    let width = usize::from(area.width.saturating_sub(2)).max(20);
    let mut lines: Vec<Line> = Vec::new();
    walk_head_lines(&mut lines, app, item, width, look);
    walk_why_lines(&mut lines, item, width, look);
    walk_evidence_lines(&mut lines, item, width, look);
    let fix_start = lines.len() + 1;
    walk_fix_lines(&mut lines, app, item, width, look);

    // Scrolling is clamped here, where the number of lines is known.
    let inner_height = usize::from(area.height.saturating_sub(2));
    let max_scroll = lines.len().saturating_sub(inner_height);
    let mut scroll = usize::from(app.walk_scroll).min(max_scroll);
    // While the apply is being confirmed, its window sits at the top: the
    // fix and its diff are scrolled to just below it, so the operator sees
    // what they are agreeing to.
    if let Some(Overlay::Confirm(confirm)) = app.overlay()
        && matches!(confirm.kind, ConfirmKind::Apply { .. })
    {
        let covered = confirm_window_height(confirm).saturating_sub(1);
        scroll = fix_start.saturating_sub(covered).min(max_scroll);
    }
    let section = app.sections().get(item.section).map_or("", |s| s.title.as_str());
    let title = format!(
        "{section}{}{}  item {} of {}",
        look.glyphs.breadcrumb,
        item.topic,
        app.selected + 1,
        app.items().len()
    );
    let more = if scroll < max_scroll { " more below " } else { "" };
    let shown: Vec<Line> = lines.into_iter().skip(scroll).take(inner_height).collect();
    frame.render_widget(
        Paragraph::new(shown).block(
            block(&cut(&title, usize::from(area.width.saturating_sub(6))), look)
                .title_bottom(Span::styled(more, look.theme.muted)),
        ),
        area,
    );
}

/// Title and severity, the verdict, and the operator's decision if any.
fn walk_head_lines(
    lines: &mut Vec<Line<'_>>,
    app: &App,
    item: &ItemRow,
    width: usize,
    look: &Look,
) {
    let t = &look.theme;
    lines.push(Line::from(vec![
        Span::styled(format!("[{}] ", item.severity.as_str()), t.severity(item.severity)),
        Span::styled(cut(&item.title, width.saturating_sub(12)), t.title),
    ]));

    let outcome = item.outcome();
    let verdict = item.finding.as_ref().map_or_else(
        || "not checked yet".to_owned(),
        |f| if f.applies { f.summary.clone() } else { format!("{} (does not apply)", f.summary) },
    );
    let outcome_name = match outcome {
        Outcome::Waiting => "waiting",
        Outcome::Running => "checking",
        Outcome::Fixed => "fixed",
        Outcome::Confirmed => "confirmed",
        Outcome::Status(status) => status.as_str(),
    };
    for (index, row) in wrap(&printable(&verdict), width.saturating_sub(12)).into_iter().enumerate()
    {
        let head = if index == 0 {
            format!("{} {outcome_name:<9} ", look.glyphs.outcome(outcome, app.tick))
        } else {
            " ".repeat(12)
        };
        lines.push(Line::from(vec![Span::styled(head, t.outcome(outcome)), Span::raw(row)]));
    }

    if let Some(mark) = &item.mark {
        let text = match mark {
            Mark::Fixed { at } => format!("fixed {at}"),
            Mark::Skipped { reason } => format!("skipped: {reason}"),
            Mark::Waived { reason, expires: Some(date) } => {
                format!("waived until {date}: {reason}")
            }
            Mark::Waived { reason, expires: None } => format!("waived: {reason}"),
            Mark::Confirmed { note } => format!("confirmed: {note}"),
        };
        lines.push(Line::styled(cut(&printable(&text), width), t.accent));
    }
}

fn walk_why_lines(lines: &mut Vec<Line<'_>>, item: &ItemRow, width: usize, look: &Look) {
    lines.push(Line::raw(""));
    lines.push(Line::styled("Why", look.theme.title));
    for row in wrap(&item.why.replace('\n', " "), width.saturating_sub(2)) {
        lines.push(Line::raw(format!("  {row}")));
    }
}

/// Where the finding was seen and what was there. Evidence keeps its
/// spacing and is cut into rows, at most six per piece.
fn walk_evidence_lines(lines: &mut Vec<Line<'_>>, item: &ItemRow, width: usize, look: &Look) {
    let t = &look.theme;
    let Some(finding) = &item.finding else {
        return;
    };
    if let Some(reason) = finding.reason.as_ref().filter(|_| finding.status == Status::Unknown) {
        let text = format!("  why unknown: {}", printable(reason));
        lines.push(Line::styled(cut(&text, width), t.unknown));
    }
    if !finding.evidence.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Evidence", t.title));
    }
    for evidence in &finding.evidence {
        if let Some(place) = evidence.place() {
            lines.push(Line::styled(cut(&format!("  {}", printable(&place)), width), t.accent));
        }
        for row in chunks(&printable(&evidence.text), width.saturating_sub(4)).into_iter().take(6) {
            lines.push(Line::raw(format!("    {row}")));
        }
    }
}

fn walk_fix_lines(lines: &mut Vec<Line<'_>>, app: &App, item: &ItemRow, width: usize, look: &Look) {
    let t = &look.theme;
    if item.manual {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "Manual item: check it yourself, then press m to confirm with a note.",
            t.accent,
        ));
        return;
    }
    let Some(fix) = &item.fix else {
        return;
    };
    lines.push(Line::raw(""));
    lines.push(Line::styled("Fix", t.title));
    match app.plan(&item.id) {
        Some(PlanState::Ready(plan)) => {
            if !plan.summary.is_empty() {
                lines.push(Line::raw(cut(&format!("  {}", printable(&plan.summary)), width)));
            }
            for row in plan.diff.lines() {
                let style = if row.starts_with("+++") || row.starts_with("---") {
                    t.title
                } else if row.starts_with('+') {
                    t.diff_add
                } else if row.starts_with('-') {
                    t.diff_remove
                } else if row.starts_with("@@") {
                    t.diff_hunk
                } else {
                    t.text
                };
                lines.push(Line::styled(cut(&format!("  {}", printable(row)), width), style));
            }
            if !plan.commands.is_empty() {
                lines.push(Line::styled("  Commands", t.title));
            }
            for command in &plan.commands {
                lines.push(Line::styled(
                    cut(&format!("  $ {}", printable(command)), width),
                    t.accent,
                ));
            }
            if !plan.operator_steps.is_empty() {
                lines.push(Line::styled("  Steps for you, by hand", t.title));
            }
            for (number, step) in plan.operator_steps.iter().enumerate() {
                let text = format!("{}. {}", number + 1, printable(step));
                for row in wrap(&text, width.saturating_sub(2)) {
                    lines.push(Line::raw(format!("  {row}")));
                }
            }
            if let Some(reason) = &plan.blocked {
                let text = format!("cannot be applied here: {}", printable(reason));
                for row in wrap(&text, width.saturating_sub(2)) {
                    lines.push(Line::styled(format!("  {row}"), t.fail));
                }
            }
            for warning in &plan.warnings {
                for row in wrap(&format!("! {}", printable(warning)), width.saturating_sub(2)) {
                    lines.push(Line::styled(format!("  {row}"), t.unknown));
                }
            }
            if let Some(staged) = &plan.staged.as_ref().or(item.staged.as_ref()) {
                lines.push(Line::styled(
                    cut(
                        &format!(
                            "  staged path: {} first, then {}",
                            printable(&staged.first),
                            printable(&staged.last)
                        ),
                        width,
                    ),
                    t.muted,
                ));
            }
            if plan.blocked.is_none() {
                lines.push(Line::styled("  press a to apply", t.muted));
            }
        }
        Some(PlanState::Preparing) => {
            lines.push(Line::styled(
                format!("  {} preparing the plan…", look.glyphs.spinner_frame(app.tick)),
                t.running,
            ));
        }
        Some(PlanState::Unavailable(reason)) => {
            lines.push(Line::raw(cut(&format!("  {}", printable(fix)), width)));
            for row in wrap(&format!("no plan: {}", printable(reason)), width.saturating_sub(2)) {
                lines.push(Line::styled(format!("  {row}"), t.unknown));
            }
        }
        None => lines.push(Line::raw(cut(&format!("  {}", printable(fix)), width))),
    }
}

// --- Staged or final -------------------------------------------------------

fn draw_staged(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let t = &look.theme;
    let Some(staged) = staged_for(app) else {
        return;
    };
    let options = [
        (
            "Staged: the gentle first step now",
            format!("{} now; portcullis reminds you {}.", staged.first, staged.next_step),
        ),
        ("Final: the full fix now", format!("{} now.", staged.last)),
    ];
    let width = usize::from(area.width.saturating_sub(6));
    let mut lines = vec![
        Line::raw(cut(
            "This fix can be staged: a first step that is easy to undo, then the final value.",
            width,
        )),
        Line::raw(""),
    ];
    for (index, (name, detail)) in options.iter().enumerate() {
        let selected = index == app.staged_cursor;
        let style = if selected { t.selection } else { t.text };
        let pointer = if selected { look.glyphs.pointer } else { " " };
        lines.push(Line::from(vec![
            Span::styled(format!("{pointer} "), t.accent),
            Span::styled((*name).to_owned(), style.add_modifier(Modifier::BOLD)),
        ]));
        for row in wrap(&printable(detail), width.saturating_sub(4)) {
            lines.push(Line::raw(format!("    {row}")));
        }
        lines.push(Line::raw(""));
    }
    let title =
        app.selected_item().map_or_else(String::new, |i| format!("Staged or final: {}", i.id));
    frame.render_widget(Paragraph::new(lines).block(block(&title, look)), area);
}

// --- Applying --------------------------------------------------------------

fn draw_applying(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let t = &look.theme;
    let g = &look.glyphs;
    let Some(run) = app.apply_run() else {
        frame.render_widget(
            Paragraph::new("Nothing is being applied.").block(block("Applying", look)),
            area,
        );
        return;
    };
    let width = usize::from(area.width.saturating_sub(4));
    let mut lines = Vec::new();
    for step in &run.steps {
        let (glyph, style) = match step.status {
            StepStatus::Pending => (g.waiting, t.muted),
            StepStatus::Running => (g.spinner_frame(app.tick), t.running),
            StepStatus::Done => (g.step_done, t.pass),
            StepStatus::Failed => (g.step_failed, t.fail),
            StepStatus::Skipped => ("-", t.muted),
        };
        let detail = step.detail.as_deref().map(printable).unwrap_or_default();
        // A long detail (Apache's reason for refusing a change) wraps under
        // itself, up to a few rows.
        for (index, row) in rows_of(&detail, width.saturating_sub(14)).into_iter().enumerate() {
            let head = if index == 0 {
                Span::styled(format!(" {glyph} {:<11}", step.name), style)
            } else {
                Span::raw(" ".repeat(14))
            };
            lines.push(Line::from(vec![head, Span::styled(row, t.muted)]));
        }
    }
    lines.push(Line::raw(""));
    match &run.outcome {
        None => lines.push(Line::styled(
            "Applying… portcullis will not quit until this finishes.",
            t.running,
        )),
        Some(ApplyOutcome::Applied { at, finding }) => {
            let verdict = finding.as_ref().map_or_else(
                || "re-check pending".to_owned(),
                |f| format!("the item now reports {}", f.status),
            );
            lines.push(Line::styled(format!("Applied {}; {verdict}.", printable(at)), t.pass));
            lines.push(Line::styled(
                "The change is in the journal (j) and can be rolled back.",
                t.muted,
            ));
        }
        Some(ApplyOutcome::RolledBack { failed_step, message, validator_output }) => {
            let failed = format!("{} {failed_step} failed: {}", g.step_failed, printable(message));
            for row in rows_of(&failed, width) {
                lines.push(Line::styled(row, t.fail));
            }
            if !validator_output.is_empty() {
                lines.push(Line::styled("Output of the validating program:", t.title));
                for row in validator_output.lines().take(8) {
                    lines.push(Line::raw(cut(&format!("  {}", printable(row)), width)));
                }
            }
            lines.push(Line::styled(
                "Everything was rolled back: the files are as they were before.",
                t.accent,
            ));
        }
    }
    let choice = match run.choice {
        FixChoice::Final => "",
        FixChoice::Staged => " (staged)",
    };
    let title = format!("Applying {}{choice}", run.id);
    frame.render_widget(Paragraph::new(lines).block(block(&title, look)), area);
}

// --- Journal ---------------------------------------------------------------

fn draw_journal(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let t = &look.theme;
    let width = usize::from(area.width.saturating_sub(4));
    let mut lines = Vec::new();
    if app.journal.is_empty() {
        lines.push(Line::styled("No fix has been applied on this target yet.", t.muted));
    }
    let inner_height = usize::from(area.height.saturating_sub(2)).max(1);
    let offset = (app.journal_cursor + 1).saturating_sub(inner_height);
    for (index, row) in app.journal.iter().enumerate().skip(offset).take(inner_height) {
        let selected = index == app.journal_cursor;
        let state = if row.rolled_back { "rolled back" } else { "applied" };
        let text = format!(
            "{:<20} {:<28} {:<11} {}",
            printable(&row.applied_at),
            printable(&row.item_id),
            state,
            printable(&row.files.join(", "))
        );
        let style = if selected {
            t.selection
        } else if row.rolled_back {
            t.muted
        } else {
            t.text
        };
        lines.push(Line::styled(cut(&text, width), style));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block("Journal: applied fixes (Enter rolls back)", look)),
        area,
    );
}

// --- Finish ----------------------------------------------------------------

fn draw_finish(frame: &mut Frame, area: Rect, app: &App, look: &Look) {
    let t = &look.theme;
    let width = usize::from(area.width.saturating_sub(4));
    let lines: Vec<Line> = app
        .summary_lines()
        .into_iter()
        .enumerate()
        .map(|(index, line)| {
            let style = if index == 0 || line.ends_with(':') { t.title } else { t.text };
            Line::styled(cut(&printable(&line), width), style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block("Finished: the summary", look)), area);
}

// --- Windows over the screen ----------------------------------------------

/// A centred window sized to its lines.
fn draw_window(frame: &mut Frame, title: &str, lines: Vec<Line>, look: &Look) {
    let area = frame.area();
    let widest = lines.iter().map(Line::width).max().unwrap_or(20).max(title.chars().count() + 4);
    let width =
        u16::try_from(widest + 4).unwrap_or(u16::MAX).min(area.width.saturating_sub(2)).max(20);
    let height =
        u16::try_from(lines.len() + 2).unwrap_or(u16::MAX).min(area.height.saturating_sub(2));
    let window = area.centered(Constraint::Length(width), Constraint::Length(height));
    frame.render_widget(Clear, window);
    frame.render_widget(Paragraph::new(lines).block(block(title, look)), window);
}

/// The rows of the confirmation window: its lines, a blank, the keys and
/// the border.
fn confirm_window_height(confirm: &Confirm) -> usize {
    confirm.lines.len() + 4
}

fn draw_window_at_top(frame: &mut Frame, title: &str, lines: Vec<Line>, look: &Look) {
    let area = frame.area();
    let widest = lines.iter().map(Line::width).max().unwrap_or(20).max(title.chars().count() + 4);
    let width =
        u16::try_from(widest + 4).unwrap_or(u16::MAX).min(area.width.saturating_sub(2)).max(20);
    let height =
        u16::try_from(lines.len() + 2).unwrap_or(u16::MAX).min(area.height.saturating_sub(2));
    let x = area.x + area.width.saturating_sub(width) / 2;
    let window = Rect { x, y: area.y + 1, width: width.min(area.width), height };
    frame.render_widget(Clear, window);
    frame.render_widget(Paragraph::new(lines).block(block(title, look)), window);
}

fn draw_help(frame: &mut Frame, area: Rect, look: &Look) {
    let t = &look.theme;
    let column = |groups: &[(&str, &[(&str, &str)])]| -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        for (group, keys) in groups {
            lines.push(Line::styled((*group).to_owned(), t.title));
            for (key, what) in *keys {
                lines.push(Line::from(vec![
                    Span::styled(format!(" {key:<11}"), t.accent),
                    Span::raw((*what).to_owned()),
                ]));
            }
        }
        lines
    };
    let (left, right) = HELP.split_at(HELP.len() - 1);
    let (left, right) = (column(left), column(right));
    let rows = left.len().max(right.len());
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX).min(area.height);
    let window = area.centered(Constraint::Length(area.width.min(80)), Constraint::Length(height));
    frame.render_widget(Clear, window);
    let outer = block("Keys (Esc closes)", look);
    let inner = outer.inner(window);
    frame.render_widget(outer, window);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
    frame.render_widget(Paragraph::new(left), left_area);
    frame.render_widget(Paragraph::new(right), right_area);
}

fn draw_references(frame: &mut Frame, app: &App, look: &Look) {
    let Some(item) = app.selected_item() else {
        return;
    };
    let width = usize::from(frame.area().width.saturating_sub(8));
    let mut lines = Vec::new();
    for reference in &item.references {
        lines.push(Line::styled(cut(&printable(&reference.title), width), look.theme.title));
        lines.push(Line::styled(cut(&printable(&reference.url), width), look.theme.accent));
    }
    draw_window(frame, "References (copy the address)", lines, look);
}

fn draw_prompt(frame: &mut Frame, area: Rect, prompt: &Prompt, look: &Look) {
    let window_width = area.width.min(76);
    let window = Rect {
        x: area.x + (area.width - window_width) / 2,
        y: area.y + area.height.saturating_sub(7),
        width: window_width,
        height: 5.min(area.height),
    };
    let width = usize::from(window_width.saturating_sub(4));
    let (shown, cursor) = prompt.input.visible(width);
    let before: String = shown.chars().take(cursor).collect();
    let at: String = shown.chars().nth(cursor).map_or_else(|| " ".to_owned(), String::from);
    let after: String = shown.chars().skip(cursor + 1).collect();
    let input = Line::from(vec![
        Span::raw(before),
        Span::styled(at, Style::new().add_modifier(Modifier::REVERSED)),
        Span::raw(after),
    ]);
    let message = prompt.error.as_ref().map_or_else(
        || Line::styled("Enter to submit, Esc to cancel", look.theme.muted),
        |error| Line::styled(error.clone(), look.theme.fail),
    );
    frame.render_widget(Clear, window);
    frame.render_widget(
        Paragraph::new(vec![input, Line::raw(""), message])
            .block(block(&prompt.kind.label(), look)),
        window,
    );
}

fn draw_jump(frame: &mut Frame, area: Rect, app: &App, jump: &Jump, look: &Look) {
    let matches = app.jump_matches(jump.input.text());
    let height = area.height.saturating_sub(4).min(20);
    let window = area.centered(
        Constraint::Length(area.width.saturating_sub(4).min(90)),
        Constraint::Length(height),
    );
    let width = usize::from(window.width.saturating_sub(4));
    let list_height = usize::from(height.saturating_sub(4)).max(1);
    let offset = (jump.cursor + 1).saturating_sub(list_height);
    let (shown, _) = jump.input.visible(width.saturating_sub(2));
    let mut lines = vec![
        Line::from(vec![Span::styled("> ", look.theme.accent), Span::raw(shown)]),
        Line::raw(""),
    ];
    for (row, index) in matches.iter().enumerate().skip(offset).take(list_height) {
        let item = &app.items()[*index];
        let style = if row == jump.cursor { look.theme.selection } else { look.theme.text };
        let outcome = item.outcome();
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} ", look.glyphs.outcome(outcome, app.tick)),
                look.theme.outcome(outcome),
            ),
            Span::styled(
                cut(&format!("{}  {}", item.id, item.title), width.saturating_sub(2)),
                style,
            ),
        ]));
    }
    frame.render_widget(Clear, window);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(&format!("Jump to an item ({} found)", matches.len()), look)),
        window,
    );
}

// --- Text helpers ----------------------------------------------------------

/// How many rows one step's detail may take on the apply screen.
const STEP_DETAIL_ROWS: usize = 4;

/// `text` wrapped to `width`, at most `STEP_DETAIL_ROWS` rows; the last row
/// ends in `~` when text was left out.
fn rows_of(text: &str, width: usize) -> Vec<String> {
    let mut rows = wrap(text, width);
    if rows.len() > STEP_DETAIL_ROWS {
        rows.truncate(STEP_DETAIL_ROWS);
        let last = rows.pop().unwrap_or_default();
        let kept: String = last.chars().take(width.max(8).saturating_sub(1)).collect();
        rows.push(format!("{kept}~"));
    }
    rows
}

/// Cuts `text` to `width` characters, marking the cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('~');
    out
}

/// Cuts text into rows of `width` characters, keeping every space: for
/// evidence, where the indentation and spacing of a line matter.
fn chunks(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars.chunks(width.max(8)).map(|row| row.iter().collect()).collect()
}

/// Wraps at spaces to `width` characters; a word longer than a line is split.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut rows = Vec::new();
    let mut row = String::new();
    for word in text.split_whitespace() {
        let mut word: String = word.to_owned();
        while word.chars().count() > width {
            if !row.is_empty() {
                rows.push(std::mem::take(&mut row));
            }
            let head: String = word.chars().take(width).collect();
            word = word.chars().skip(width).collect();
            rows.push(head);
        }
        let needed = row.chars().count() + usize::from(!row.is_empty()) + word.chars().count();
        if needed > width && !row.is_empty() {
            rows.push(std::mem::take(&mut row));
        }
        if !row.is_empty() {
            row.push(' ');
        }
        row.push_str(&word);
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_splits_words_longer_than_a_line() {
        assert_eq!(wrap("ab cdefghijkl m", 8), vec!["ab", "cdefghij", "kl m"]);
        assert_eq!(cut("abcdef", 4), "abc~");
    }
}

//! Which key means which action, on which screen. A pure function of the
//! state and the key; the help overlay lists the same bindings from [`HELP`].

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::tui::app::{Action, App, Edit, Overlay, Screen};

/// Every binding, grouped as the help overlay shows them: the first
/// groups in the left column, the walk's keys in the right one.
pub const HELP: &[(&str, &[(&str, &str)])] = &[
    (
        "Everywhere",
        &[
            ("?", "this help"),
            ("q", "quit (asks during an apply)"),
            ("o  t", "overview / target"),
            ("j  f", "journal / finish"),
            ("g", "jump to any item"),
            ("Esc", "back / close a window"),
        ],
    ),
    (
        "Target and overview",
        &[
            ("Up Down", "move"),
            ("e", "correct a target field"),
            ("Enter", "walk the item"),
            ("r  x", "resume / start new"),
            ("Left Right", "previous / next section"),
            ("c", "re-check the item"),
        ],
    ),
    (
        "Windows",
        &[("y  Enter", "yes / submit"), ("n  Esc", "no / cancel"), ("Enter", "journal: roll back")],
    ),
    (
        "Walk",
        &[
            ("n  p", "next / previous item"),
            ("]  [", "next / previous section"),
            ("Up Down", "scroll a line"),
            ("PgUp PgDn", "scroll a page"),
            ("a", "apply the fix (asks first)"),
            ("s", "skip, with a reason"),
            ("w", "waive: reason, expiry"),
            ("m", "confirm a manual item"),
            ("c", "re-check"),
            ("l", "reference links"),
        ],
    ),
];

/// The action a key press stands for, if any.
pub fn action_for(app: &App, key: KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            KeyCode::Char('c') => Some(Action::Quit),
            _ => None,
        };
    }
    match app.overlay() {
        Some(Overlay::Prompt(_)) => return text_action(key.code),
        Some(Overlay::Jump(_)) => {
            return match key.code {
                KeyCode::Up => Some(Action::Up),
                KeyCode::Down => Some(Action::Down),
                code => text_action(code),
            };
        }
        Some(Overlay::Confirm(_)) => {
            return match key.code {
                KeyCode::Char('y' | 'Y') | KeyCode::Enter => Some(Action::Yes),
                KeyCode::Char('n' | 'N') | KeyCode::Esc => Some(Action::No),
                _ => None,
            };
        }
        Some(Overlay::Help | Overlay::References) => {
            return match key.code {
                KeyCode::Char('q') => Some(Action::Quit),
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?' | 'l') => Some(Action::Back),
                _ => None,
            };
        }
        None => {}
    }
    let action = match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') | KeyCode::F(1) => Action::Help,
        KeyCode::Char('g') => Action::OpenJump,
        KeyCode::Char('o') => Action::Show(Screen::Overview),
        KeyCode::Char('t') => Action::Show(Screen::Start),
        KeyCode::Char('j') => Action::Show(Screen::Journal),
        KeyCode::Char('f') => Action::Show(Screen::Finish),
        KeyCode::Up => Action::Up,
        KeyCode::Down => Action::Down,
        KeyCode::Left => Action::Left,
        KeyCode::Right => Action::Right,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown | KeyCode::Char(' ') => Action::PageDown,
        KeyCode::Enter => Action::Select,
        KeyCode::Esc | KeyCode::Backspace => Action::Back,
        KeyCode::Tab | KeyCode::Char(']') => Action::NextSection,
        KeyCode::BackTab | KeyCode::Char('[') => Action::PreviousSection,
        KeyCode::Char('n') => Action::NextItem,
        KeyCode::Char('p') => Action::PreviousItem,
        KeyCode::Char('a') => Action::Apply,
        KeyCode::Char('s') => Action::Skip,
        KeyCode::Char('w') => Action::Waive,
        KeyCode::Char('m') => Action::ConfirmManual,
        KeyCode::Char('c') => Action::Recheck,
        KeyCode::Char('l') => Action::References,
        KeyCode::Char('e') => Action::Edit,
        KeyCode::Char('r') if app.screen() == Screen::Start => Action::Resume,
        KeyCode::Char('x') if app.screen() == Screen::Start => Action::DismissResume,
        _ => return None,
    };
    Some(action)
}

fn text_action(code: KeyCode) -> Option<Action> {
    let edit = match code {
        KeyCode::Enter => return Some(Action::Select),
        KeyCode::Esc => return Some(Action::Back),
        KeyCode::Char(ch) => Edit::Char(ch),
        KeyCode::Backspace => Edit::Backspace,
        KeyCode::Delete => Edit::Delete,
        KeyCode::Left => Edit::Left,
        KeyCode::Right => Edit::Right,
        KeyCode::Home => Edit::Home,
        KeyCode::End => Edit::End,
        _ => return None,
    };
    Some(Action::Input(edit))
}

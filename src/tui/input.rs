//! A one-line text input: the reason for a skip, a waiver's expiry, a
//! corrected target field. Pure state; the keys arrive as actions.

/// Text and a cursor, counted in characters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    cursor: usize,
}

/// The longest text the input accepts; a reason is a sentence, not a file.
const MAX_CHARS: usize = 500;

impl LineInput {
    pub fn with_text(text: &str) -> Self {
        let text: String = text.chars().filter(|c| !c.is_control()).take(MAX_CHARS).collect();
        let cursor = text.chars().count();
        LineInput { text, cursor }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn insert(&mut self, ch: char) {
        if ch.is_control() || self.text.chars().count() >= MAX_CHARS {
            return;
        }
        let at = self.byte_at(self.cursor);
        self.text.insert(at, ch);
        self.cursor += 1;
    }

    pub fn backspace(&mut self) {
        if self.cursor == 0 {
            return;
        }
        self.cursor -= 1;
        let at = self.byte_at(self.cursor);
        self.text.remove(at);
    }

    pub fn delete(&mut self) {
        if self.cursor < self.text.chars().count() {
            let at = self.byte_at(self.cursor);
            self.text.remove(at);
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.text.chars().count());
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.text.chars().count();
    }

    /// The part of the text that fits `width` columns with the cursor in view,
    /// and the cursor's column within it.
    pub fn visible(&self, width: usize) -> (String, usize) {
        let width = width.max(1);
        let start = (self.cursor + 1).saturating_sub(width);
        let shown: String = self.text.chars().skip(start).take(width).collect();
        (shown, self.cursor - start)
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text.char_indices().nth(chars).map_or(self.text.len(), |(at, _)| at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_and_editing_move_the_cursor() {
        let mut input = LineInput::default();
        for ch in "héllo".chars() {
            input.insert(ch);
        }
        input.left();
        input.backspace();
        assert_eq!(input.text(), "hélo");
        input.home();
        input.delete();
        assert_eq!(input.text(), "élo");
        input.end();
        input.insert('!');
        assert_eq!((input.text(), input.cursor()), ("élo!", 4));
    }

    #[test]
    fn control_characters_are_refused() {
        let mut input = LineInput::with_text("a\u{1b}[2Jb");
        input.insert('\u{7}');
        assert_eq!(input.text(), "a[2Jb");
    }

    #[test]
    fn a_long_text_scrolls_to_keep_the_cursor_visible() {
        let input = LineInput::with_text("abcdefghij");
        assert_eq!(input.visible(4), ("hij".to_owned(), 3));
    }
}

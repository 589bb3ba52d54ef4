//! The checklist: what to check, as data. See `model` for its shape and
//! `load` for how files become a [`Checklist`].

mod load;
mod model;

pub use load::{ChecklistError, EMBEDDED, load, parse_all};
pub use model::*;

impl Checklist {
    /// Every item, in walk-through order, with its section and topic.
    pub fn items(&self) -> impl Iterator<Item = (&Section, &Topic, &Item)> {
        self.sections.iter().flat_map(|section| {
            section
                .topics
                .iter()
                .flat_map(move |topic| topic.items.iter().map(move |item| (section, topic, item)))
        })
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items().map(|(_, _, item)| item).find(|item| item.id == id)
    }

    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|section| section.id == id)
    }
}

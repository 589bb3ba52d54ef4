//! TEMPORARY stand-in until the Django rules land.
use crate::checklist::Item;
use crate::finding::Finding;
use crate::layers::InputError;
use crate::probe::RunOptions;
use crate::target::Target;

pub struct DjangoFacts;

pub fn load_facts(
    _target: &Target,
    _options: RunOptions,
) -> Result<Result<DjangoFacts, String>, InputError> {
    Ok(Err("no Django project was found".to_owned()))
}

pub fn evaluate(item: &Item, _facts: &DjangoFacts, _options: RunOptions) -> Finding {
    Finding::unknown(&item.id, "not yet")
}

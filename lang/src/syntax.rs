//! The pest parser generated from `ward.pest`. Private to this crate: nothing of pest
//! leaves `lang`.

#[derive(pest_derive::Parser)]
#[grammar = "ward.pest"]
pub(crate) struct WardParser;

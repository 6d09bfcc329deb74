//! PASC (the draft's section 7, fig5): onboarding a thing from its MUD file.

pub mod classify;
pub mod excess;
pub mod onboard;
pub mod signature;

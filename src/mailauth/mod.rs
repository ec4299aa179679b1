//! DMARC and DKIM records as published in DNS: parsed and judged, so that
//! `verify --receivers` can map them to receiver rules.

pub mod dkim;
pub mod dmarc;

//! Structural and semantic rules for network and interface XML.

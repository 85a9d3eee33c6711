//! Shared bench support.
#![allow(dead_code)]

pub mod datagen;
pub mod owned_pages;

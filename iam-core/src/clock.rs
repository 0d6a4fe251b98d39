//! Time and randomness, behind traits so that tests can supply deterministic ones.

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::IamError;

/// The source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Returns the current time in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The source of random bytes for ids, salts and generated credentials.
pub trait RandomSource: Send + Sync + fmt::Debug {
    /// Fills `dest` with random bytes.
    ///
    /// # Errors
    ///
    /// [`IamError::Random`] when the source is unavailable.
    fn fill(&self, dest: &mut [u8]) -> Result<(), IamError>;

    /// Returns a random (version 4) UUID.
    ///
    /// # Errors
    ///
    /// [`IamError::Random`] when the source is unavailable.
    fn uuid(&self) -> Result<Uuid, IamError> {
        let mut bytes = [0u8; 16];
        self.fill(&mut bytes)?;
        Ok(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }
}

/// The operating system's random source (`getrandom`).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), IamError> {
        getrandom::fill(dest).map_err(|error| IamError::Random(error.to_string()))
    }
}

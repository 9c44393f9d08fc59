//! Verification of signatures against a trust policy.

//! OCI distribution registries (issue 4).

//! Signature envelopes (JWS and COSE) and the payload they sign.

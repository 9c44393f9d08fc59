//! The Notary payload `{"targetArtifact": <descriptor>}` (signature-format.md §4).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::oci::Descriptor;

/// Content type of the payload.
pub const CONTENT_TYPE: &str = "application/vnd.cncf.notary.payload.v1+json";

/// The descriptor as notation keeps it ("sanitize"): Go struct order, no other fields.
#[derive(Serialize)]
struct SanitizedDescriptor<'a> {
    #[serde(rename = "mediaType")]
    media_type: &'a str,
    digest: &'a str,
    size: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<&'a BTreeMap<String, String>>,
}

#[derive(Serialize)]
struct Payload<'a> {
    #[serde(rename = "targetArtifact")]
    target_artifact: SanitizedDescriptor<'a>,
}

fn sanitized(target: &Descriptor) -> Payload<'_> {
    Payload {
        target_artifact: SanitizedDescriptor {
            media_type: &target.media_type,
            digest: &target.digest,
            size: target.size,
            annotations: target.annotations.as_ref().filter(|a| !a.is_empty()),
        },
    }
}

/// Payload bytes as notation builds them (COSE payload): Go `json.Marshal` of the
/// sanitized descriptor in struct order `mediaType, digest, size, annotations`.
pub fn build(target: &Descriptor) -> Vec<u8> {
    crate::go::json::to_vec(&sanitized(target)).unwrap_or_default()
}

/// The JWS form of the payload: the same JSON re-marshalled as a generic map, so every
/// object has its keys sorted (signature-format.md §4.3).
pub fn build_jws(target: &Descriptor) -> Vec<u8> {
    let value = serde_json::to_value(sanitized(target)).unwrap_or_default();
    crate::go::json::to_vec(&value).unwrap_or_default()
}

/// Decodes a payload's `targetArtifact` (unknown members ignored, Go-style).
pub fn parse(bytes: &[u8]) -> Result<Descriptor, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Raw {
        #[serde(rename = "targetArtifact", default)]
        target_artifact: Descriptor,
    }
    serde_json::from_slice::<Raw>(bytes).map(|r| r.target_artifact)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worked_example() -> Descriptor {
        Descriptor {
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            digest: "sha256:dafe0718a5296ebf7c78430232e3b2e36883948fbc94d428ad22c1fd584d2ee9"
                .into(),
            size: 1056,
            annotations: Some(BTreeMap::from([(
                "io.wabbit-networks.buildId".to_string(),
                "123".to_string(),
            )])),
            artifact_type: Some("dropped".into()),
            urls: Some(vec!["https://dropped".into()]),
            ..Default::default()
        }
    }

    #[test]
    fn cose_form_matches_spec_example() {
        let bytes = build(&worked_example());
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"{"targetArtifact":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:dafe0718a5296ebf7c78430232e3b2e36883948fbc94d428ad22c1fd584d2ee9","size":1056,"annotations":{"io.wabbit-networks.buildId":"123"}}}"#
        );
        assert_eq!(bytes.len(), 223);
    }

    #[test]
    fn jws_form_matches_spec_example() {
        assert_eq!(
            String::from_utf8(build_jws(&worked_example())).unwrap(),
            r#"{"targetArtifact":{"annotations":{"io.wabbit-networks.buildId":"123"},"digest":"sha256:dafe0718a5296ebf7c78430232e3b2e36883948fbc94d428ad22c1fd584d2ee9","mediaType":"application/vnd.oci.image.manifest.v1+json","size":1056}}"#
        );
    }

    #[test]
    fn empty_annotations_are_omitted_and_parse_round_trips() {
        let mut d = worked_example();
        d.annotations = Some(BTreeMap::new());
        let bytes = build(&d);
        assert!(!String::from_utf8_lossy(&bytes).contains("annotations"));
        let back = parse(&bytes).unwrap();
        assert_eq!(back.digest, d.digest);
        assert_eq!(back.size, 1056);
    }
}

//! The one piece of I/O: send a [`QueryRequest`], return status and body. HTTP/1.1 over hyper
//! with rustls (ring), system roots, and a verifier that accepts anything for `insecure: true`.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::{ProviderError, QueryRequest};

/// Answers larger than this are refused rather than buffered; real query results are far smaller.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

type HttpsClient = Client<HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// What came back, before it is read as a Prometheus answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawResponse {
    pub status: u16,
    pub body: Bytes,
}

/// Connection pools for verified and unverified TLS; cheap to clone, meant to live as long as
/// the daemon.
#[derive(Clone)]
pub struct PrometheusClient {
    verified: HttpsClient,
    unverified: HttpsClient,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_config(insecure: bool) -> Result<ClientConfig, rustls::Error> {
    let builder =
        ClientConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
    Ok(if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
                provider().signature_verification_algorithms,
            )))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        // Unreadable system certificates only matter for https; those queries then fail with a
        // certificate error that names the problem.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        builder.with_root_certificates(roots).with_no_client_auth()
    })
}

fn client(insecure: bool) -> Result<HttpsClient, ProviderError> {
    let config = tls_config(insecure).map_err(|e| ProviderError::Transport {
        url: String::new(),
        reason: format!("TLS setup failed: {e}"),
    })?;
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

impl PrometheusClient {
    pub fn new() -> Result<PrometheusClient, ProviderError> {
        Ok(PrometheusClient {
            verified: client(false)?,
            unverified: client(true)?,
        })
    }

    /// Sends the GET and reads the whole body, all within the request's timeout.
    pub async fn send(&self, request: &QueryRequest) -> Result<RawResponse, ProviderError> {
        let endpoint = request.endpoint();
        let transport = |reason: String| ProviderError::Transport {
            url: endpoint.clone(),
            reason,
        };
        let mut builder = http::Request::get(request.url.as_str())
            .header(http::header::ACCEPT, "application/json");
        for (key, value) in &request.headers {
            builder = builder.header(key.as_str(), value.as_str());
        }
        let http_request = builder
            .body(Empty::<Bytes>::new())
            .map_err(|e| transport(format!("invalid request: {e}")))?;
        let client = if request.insecure {
            &self.unverified
        } else {
            &self.verified
        };
        let exchange = async {
            let response = client
                .request(http_request)
                .await
                .map_err(|e| transport(error_chain(&e)))?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), MAX_BODY_BYTES)
                .collect()
                .await
                .map_err(|e| transport(format!("reading the answer: {e}")))?
                .to_bytes();
            Ok(RawResponse { status, body })
        };
        tokio::time::timeout(request.timeout, exchange)
            .await
            .map_err(|_| ProviderError::Timeout {
                url: endpoint.clone(),
                timeout: request.timeout,
            })?
    }
}

/// hyper's top-level error says little ("client error (Connect)"); the causes say what happened.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}

/// `insecure: true`: any certificate is accepted, but handshake signatures are still checked so
/// the connection is at least encrypted to whoever answered.
#[derive(Debug)]
struct AcceptAnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

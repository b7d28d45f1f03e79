//! A Kubernetes-API-compatible server for tests and demos.

//! gitcanary: GitOps sync and canary releases on a service mesh, in one daemon.

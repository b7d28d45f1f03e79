//! The election's I/O: read the Lease, [`decide`], write with the `resourceVersion` read.

use std::future::Future;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;
use tokio::time::Instant;
use tracing::{error, info, warn};

use super::decide::{Decision, Observed, decide};
use super::{ElectionConfig, LeaderError, LeaderMetrics, record};

/// One candidate. [`Elector::acquire`] until leading, then [`Elector::hold`] while acting, then
/// [`Elector::release`] on a clean shutdown.
pub struct Elector {
    api: Api<Lease>,
    config: ElectionConfig,
    metrics: LeaderMetrics,
    observed: Option<Observed>,
    /// When the last successful write of ours was sent: the renew deadline runs from there.
    renewed: Option<Instant>,
    /// The holder last logged, so a standby logs each change once.
    logged_holder: Option<String>,
}

/// The result of one read-decide-write round.
enum Round {
    /// The Lease names us now.
    Holding {
        transitions: i32,
    },
    StandBy {
        holder: String,
    },
    /// Someone else wrote between our read and our write: read again.
    Conflict,
    Lost {
        holder: String,
    },
}

impl Elector {
    pub fn new(client: kube::Client, config: ElectionConfig, metrics: LeaderMetrics) -> Elector {
        metrics.leader.set(0);
        Elector {
            api: Api::namespaced(client, &config.namespace),
            config,
            metrics,
            observed: None,
            renewed: None,
            logged_holder: None,
        }
    }

    /// Tries every retry period until this replica holds the Lease (true) or `until` completes
    /// (false). API errors are logged and retried: a standby has nothing to lose by waiting.
    pub async fn acquire(&mut self, until: impl Future<Output = ()>) -> bool {
        let timing = self.config.timing;
        info!(identity = %self.config.identity, lease = %self.config.lease(), "candidate for the leader Lease");
        let mut until = std::pin::pin!(until);
        loop {
            let round = tokio::time::timeout(timing.renew_deadline, self.round(false)).await;
            match round {
                Ok(Ok(Round::Holding { transitions })) => {
                    self.metrics.leader.set(1);
                    info!(identity = %self.config.identity, lease = %self.config.lease(), transitions, "acquired the leader Lease; acting");
                    return true;
                }
                Ok(Ok(Round::Conflict)) => continue,
                Ok(Ok(Round::StandBy { holder } | Round::Lost { holder })) => {
                    if self.logged_holder.as_ref() != Some(&holder) {
                        info!(identity = %self.config.identity, leader = %holder, "another replica leads; standing by");
                        self.logged_holder = Some(holder);
                    }
                }
                Ok(Err(e)) => warn!(error = %e, "leader election: will try again"),
                Err(_) => {
                    warn!(lease = %self.config.lease(), "leader election: the API server did not answer in time; will try again")
                }
            }
            tokio::select! {
                _ = &mut until => return false,
                _ = tokio::time::sleep(timing.retry_period) => {}
            }
        }
    }

    /// Renews every retry period while `work` runs, and returns its output. Returns an error as soon
    /// as the Lease names someone else or no renewal succeeded within the renew deadline: the caller
    /// must then stop acting at once.
    pub async fn hold<T>(&mut self, work: impl Future<Output = T>) -> Result<T, LeaderError> {
        let timing = self.config.timing;
        let mut work = std::pin::pin!(work);
        loop {
            tokio::select! {
                out = &mut work => return Ok(out),
                _ = tokio::time::sleep(timing.retry_period) => {}
            }
            let result = self.renew().await;
            if let Err(e) = &result {
                self.metrics.leader.set(0);
                error!(identity = %self.config.identity, error = %e, "stepping down");
            }
            result?;
        }
    }

    /// One renewal, retried until it succeeds or the renew deadline passes.
    async fn renew(&mut self) -> Result<(), LeaderError> {
        let deadline_len = self.config.timing.renew_deadline;
        let deadline = self.renewed.unwrap_or_else(Instant::now) + deadline_len;
        let lease = self.config.lease();
        let past_deadline = || LeaderError::RenewDeadline {
            lease: lease.clone(),
            deadline: deadline_len,
        };
        loop {
            match tokio::time::timeout_at(deadline, self.round(true)).await {
                Err(_) => return Err(past_deadline()),
                Ok(Ok(Round::Holding { .. })) => return Ok(()),
                Ok(Ok(Round::Conflict)) => continue,
                Ok(Ok(Round::Lost { holder } | Round::StandBy { holder })) => {
                    return Err(LeaderError::Lost { lease, holder });
                }
                Ok(Err(e)) => {
                    warn!(error = %e, "renewing the leader Lease failed; retrying");
                    let pause = Instant::now() + self.config.timing.retry_period / 2;
                    if pause >= deadline {
                        return Err(past_deadline());
                    }
                    tokio::time::sleep_until(pause).await;
                }
            }
        }
    }

    /// Hands the Lease over after a clean stop, so a standby takes it at its next try. Best effort:
    /// if it fails, the Lease simply expires.
    pub async fn release(&mut self) {
        self.metrics.leader.set(0);
        let timeout = self.config.timing.renew_deadline;
        match tokio::time::timeout(timeout, self.write_release()).await {
            Ok(Ok(true)) => {
                info!(identity = %self.config.identity, lease = %self.config.lease(), "released the leader Lease")
            }
            Ok(Ok(false)) => {}
            Ok(Err(e)) => warn!(error = %e, "releasing the leader Lease failed; it will expire"),
            Err(_) => {
                warn!(lease = %self.config.lease(), "releasing the leader Lease timed out; it will expire")
            }
        }
    }

    async fn write_release(&self) -> Result<bool, LeaderError> {
        let Some(mut lease) = self.get().await? else {
            return Ok(false);
        };
        let spec = lease.spec.clone().unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return Ok(false);
        }
        lease.spec = Some(record::released(&spec, Timestamp::now()));
        lease.metadata.managed_fields = None;
        record::advertise(&mut lease.metadata, None);
        self.api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await
            .map_err(|source| LeaderError::Write {
                lease: self.config.lease(),
                source,
            })?;
        Ok(true)
    }

    async fn get(&self) -> Result<Option<Lease>, LeaderError> {
        self.api
            .get_opt(&self.config.name)
            .await
            .map_err(|source| LeaderError::Read {
                lease: self.config.lease(),
                source,
            })
    }

    async fn round(&mut self, leading: bool) -> Result<Round, LeaderError> {
        let started = Instant::now();
        let live = self.get().await?;
        let wall = Timestamp::now();
        let me = self.config.identity.clone();
        let duration = self.config.timing.lease_duration;
        self.observed = live.as_ref().map(|l| {
            let spec = l.spec.clone().unwrap_or_default();
            Observed::update(self.observed.take(), spec, started.into_std())
        });
        let decision = decide(
            self.observed.as_ref(),
            &me,
            leading,
            duration,
            started.into_std(),
        );
        let previous = self.observed.as_ref().map(|o| &o.spec);
        let spec = match &decision {
            Decision::StandBy { holder, .. } => {
                return Ok(Round::StandBy {
                    holder: holder.clone(),
                });
            }
            Decision::Lost { holder } => {
                return Ok(Round::Lost {
                    holder: holder.clone(),
                });
            }
            Decision::Create | Decision::Acquire => record::acquired(previous, &me, duration, wall),
            Decision::Renew => {
                let empty = LeaseSpec::default();
                record::renewed(previous.unwrap_or(&empty), &me, duration, wall)
            }
        };
        let pp = PostParams::default();
        let advertise = self.config.advertise.as_deref();
        let written = match live {
            None => {
                let mut lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.config.name.clone()),
                        namespace: Some(self.config.namespace.clone()),
                        ..Default::default()
                    },
                    spec: Some(spec),
                };
                record::advertise(&mut lease.metadata, advertise);
                self.api.create(&pp, &lease).await
            }
            Some(mut lease) => {
                lease.spec = Some(spec);
                lease.metadata.managed_fields = None;
                record::advertise(&mut lease.metadata, advertise);
                self.api.replace(&self.config.name, &pp, &lease).await
            }
        };
        match written {
            Ok(lease) => {
                let spec = lease.spec.unwrap_or_default();
                let transitions = spec.lease_transitions.unwrap_or(0);
                self.observed = Some(Observed {
                    spec,
                    unchanged_since: started.into_std(),
                });
                self.renewed = Some(started);
                Ok(Round::Holding { transitions })
            }
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(Round::Conflict),
            Err(source) => Err(LeaderError::Write {
                lease: self.config.lease(),
                source,
            }),
        }
    }
}

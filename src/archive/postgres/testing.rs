//! The test cluster (`tests/support/postgres_cluster.rs`, shared with the integration tests)
//! and fresh archives in it.

#[path = "../../../tests/support/postgres_cluster.rs"]
mod cluster;

pub(crate) use cluster::{Cluster, cluster, fresh_schema};

use super::PostgresArchive;

/// A fresh, empty archive in its own schema of the shared cluster.
pub(crate) fn fresh_archive(cluster: &Cluster) -> (PostgresArchive, String) {
    let schema = fresh_schema();
    let archive = PostgresArchive::connect(&cluster.url, None, Some(&schema))
        .unwrap_or_else(|e| panic!("cannot connect to the test cluster: {e}"));
    (archive, schema)
}

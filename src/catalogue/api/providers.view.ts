import { CLASS_POLICIES, DATABASE_TYPES, plansOfType, PROVIDERS } from '../domain/catalogue';

/** `GET /v1/addon-providers`: the catalogue, with everything a client must know of each plan. */
export function providersView() {
  return DATABASE_TYPES.map((type) => {
    const provider = PROVIDERS[type];
    return {
      id: provider.id,
      name: provider.name,
      versions: provider.versions,
      default_version: provider.versions.at(-1),
      rpo_minutes: provider.rpoMinutes,
      continuous_backup: provider.continuousBackup,
      gateway_timeouts: provider.gatewayTimeouts && {
        client_idle_seconds: provider.gatewayTimeouts.clientIdleSeconds ?? null,
        server_idle_seconds: provider.gatewayTimeouts.serverIdleSeconds ?? null,
        half_closed_client_seconds: provider.gatewayTimeouts.halfClosedClientSeconds ?? null,
        http_request_seconds: provider.gatewayTimeouts.httpRequestSeconds ?? null,
      },
      features: provider.features,
      plans: plansOfType(type).map((plan) => {
        const policy = CLASS_POLICIES[plan.class];
        return {
          id: plan.id,
          class: plan.class,
          memory_mb: plan.memoryMb,
          purpose: policy.purpose,
          sla_percent: policy.slaPercent,
          downtime_budget_minutes_per_30_days: policy.downtimeBudgetMinutesPer30Days,
          database_nodes: policy.databaseNodes,
          node_failure: policy.nodeFailure,
          failover_within_seconds: policy.failoverWithinSeconds,
          scheduled_backups: policy.scheduledBackups,
          manual_backups: policy.manualBackups,
          retention: {
            daily: policy.retention.daily,
            weekly: policy.retention.weekly,
            monthly: policy.retention.monthly,
            manual: policy.retention.manual,
            manual_months_after_removal: policy.retention.manualMonthsAfterRemoval,
          },
          minor_upgrade_downtime: policy.minorUpgrade,
          major_upgrade_downtime: policy.majorUpgrade,
        };
      }),
    };
  });
}

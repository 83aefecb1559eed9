import { backupsSaga } from './backups.saga';
import { failuresSaga } from './failures.saga';
import { maintenanceSaga, planChangeSaga, restoreSaga, upgradeSaga } from './operations.saga';
import { deprovisioningSaga, provisioningSaga } from './provisioning.saga';
import { Saga } from './saga';

/** Every saga the runner feeds, in a fixed order (part of each job's identity). */
export const allSagas = ({ settleAfterMs }: { settleAfterMs: number }): readonly Saga[] => [
  provisioningSaga(settleAfterMs),
  planChangeSaga,
  backupsSaga,
  failuresSaga,
  upgradeSaga,
  restoreSaga,
  maintenanceSaga,
  deprovisioningSaga(settleAfterMs),
];

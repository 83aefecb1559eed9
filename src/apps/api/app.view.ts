import { ActiveApp } from '../app-access.service';

export function appView(app: ActiveApp) {
  return {
    id: app.name,
    name: app.name,
    owner: app.owner,
    created_at: app.createdAt,
    addon_ids: Object.keys(app.addons),
  };
}

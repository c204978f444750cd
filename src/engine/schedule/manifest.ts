/** Manifests live with the job's metadata; kept here for importers of the schedule layer. */
export {
  type BatchManifest,
  type BatchStatus,
  type CheckpointManifest,
  type InputManifest,
  readManifest,
  type StageManifest,
} from '../catalog';

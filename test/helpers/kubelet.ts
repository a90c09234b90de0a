// Does what kubelet does to a projected service-account volume (see agent/sandbox/projected-volume.ts).
export {writeProjectedVolume} from '../../agent/sandbox/projected-volume.ts';

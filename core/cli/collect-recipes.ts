/**
 * Named collection recipes: the flags that reproduce a paper's data set with `oneiro collect --recipe NAME`
 * (any flag given explicitly overrides the recipe's, e.g. fewer --episodes for a reduced budget).
 */
export interface CollectRecipe {
  doc: string;
  env: string;
  episodes: number;
  maxSteps: number;
  seed: number;
  size: number;
  policy: string;
}

// tkipf/c-swm README "Generate datasets", 2D Shapes: data_gen/env.py --env_id ShapesTrain-v0 --num_episodes 1000
// --seed 1 (max_episode_steps 100) and ShapesEval-v0 --num_episodes 10000 --seed 2 (max_episode_steps 10), random
// agent, 50×50 frames (envs/__init__.py, block_pushing.py). Our Rng stream differs from numpy's: same recipe,
// not the same episodes.
export const COLLECT_RECIPES: Record<string, CollectRecipe> = {
  'cswm-shapes-train': {
    doc: 'C-SWM 2D Shapes training set: 1000 episodes × 100 steps, random policy, seed 1, 50×50',
    env: 'shapes-2d',
    episodes: 1000,
    maxSteps: 100,
    seed: 1,
    size: 50,
    policy: 'random',
  },
  'cswm-shapes-eval': {
    doc: 'C-SWM 2D Shapes evaluation set: 10,000 episodes × 10 steps, random policy, seed 2, 50×50',
    env: 'shapes-2d',
    episodes: 10000,
    maxSteps: 10,
    seed: 2,
    size: 50,
    policy: 'random',
  },
};

import { InputError } from '../../model/errors.js';
import { cmakeRecipe } from './cmake-recipe.js';
import { hipTestsRecipe } from './hip-tests-recipe.js';
import { kfdtestRecipe } from './kfdtest-recipe.js';
import type { Recipe } from './recipe.js';
import { rocrtstRecipe } from './rocrtst-recipe.js';

const RECIPES: readonly Recipe[] = [kfdtestRecipe, rocrtstRecipe, hipTestsRecipe, cmakeRecipe];

/** A component's recipe: the one it names, else the one named like the component, else plain CMake. */
export function recipeFor(component: string, named: string | undefined): Recipe {
  if (named === undefined) return RECIPES.find((r) => r.name === component) ?? cmakeRecipe;
  const recipe = RECIPES.find((r) => r.name === named);
  if (!recipe) throw new InputError(`userspace.${component}.recipe "${named}": unknown; known recipes: ${RECIPES.map((r) => r.name).join(', ')}`);
  return recipe;
}

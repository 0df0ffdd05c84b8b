/**
 * True when a key event comes from a control that handles keys itself (text fields, selects, sliders,
 * buttons), where a view's global shortcuts must not fire as well.
 */
export function isTypingTarget(target: EventTarget | null): boolean {
  const el = target as { tagName?: string; isContentEditable?: boolean } | null;
  if (!el?.tagName) return false;
  const tag = el.tagName.toUpperCase();
  return el.isContentEditable === true || tag === 'TEXTAREA' || tag === 'SELECT' || tag === 'INPUT' || tag === 'BUTTON';
}

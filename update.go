package shakwa

import "context"

type updateKey struct{}

// WithUpdate returns ctx naming the update (a platform message, unique
// across channels and chats) whose handling it carries. Stores use it to
// tell a change made by an earlier handling of the same update, which
// came again because that handling failed after the change, from one
// made by somebody else.
func WithUpdate(ctx context.Context, update string) context.Context {
	return context.WithValue(ctx, updateKey{}, update)
}

// UpdateOf is the update ctx names (see WithUpdate), or "".
func UpdateOf(ctx context.Context) string {
	u, _ := ctx.Value(updateKey{}).(string)
	return u
}

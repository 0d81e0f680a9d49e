package nb

import "os"

// EnvProfile names the environment variable that selects a notebook profile.
const EnvProfile = "IFPROBE_PROFILE"

// Profiles.
const (
	ProfileFull = "full" // the real run: every task, full sample sizes
	ProfileCI   = "ci"   // small and fast: what tests and CI execute
)

// Profile returns the notebook profile: ProfileCI when $IFPROBE_PROFILE is "ci",
// ProfileFull otherwise.
func Profile() string {
	if os.Getenv(EnvProfile) == ProfileCI {
		return ProfileCI
	}
	return ProfileFull
}

// Small reports whether notebooks should run their small variant (Profile is
// ProfileCI).
func Small() bool { return Profile() == ProfileCI }

// Pick returns full in the full profile and small in the ci profile:
// n := nb.Pick(2000, 200).
func Pick[T any](full, small T) T {
	if Small() {
		return small
	}
	return full
}

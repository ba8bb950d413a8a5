#include "api/schema.h"

#include "gtest/gtest.h"

namespace cubelet::api {
namespace {

TEST(PodSchemaTest, KnowsTheFieldsOfThePod) {
  EXPECT_TRUE(IsPodSchemaField("spec"));
  EXPECT_TRUE(IsPodSchemaField("spec.containers[0].imagePullPolicy"));
  EXPECT_TRUE(IsPodSchemaField("spec.initContainers[3].restartPolicyRules[0].exitCodes"));
  EXPECT_TRUE(IsPodSchemaField("spec.volumes[1].nfs.server"));
  EXPECT_TRUE(IsPodSchemaField("metadata.managedFields[0].fieldsV1"));
  EXPECT_TRUE(IsPodSchemaField("status.containerStatuses[0].state.terminated.exitCode"));
  EXPECT_TRUE(IsPodSchemaField("spec.affinity.podAntiAffinity"));
}

TEST(PodSchemaTest, RefusesWhatIsNotInIt) {
  EXPECT_FALSE(IsPodSchemaField("spec.containers[0].imagePullPolice"));
  EXPECT_FALSE(IsPodSchemaField("spec.restartpolicy"));  // case matters, as upstream
  EXPECT_FALSE(IsPodSchemaField("metadata.lables"));
  EXPECT_FALSE(IsPodSchemaField("spec.volumes[0].emptyDir.size"));
  EXPECT_FALSE(IsPodSchemaField("extra"));
}

TEST(PodSchemaTest, BelowMapsAndLeavesIsData) {
  EXPECT_TRUE(IsPodSchemaField("metadata.labels.app"));
  EXPECT_TRUE(IsPodSchemaField("spec.containers[0].resources.limits.cpu"));
  EXPECT_TRUE(IsPodSchemaField("spec.overhead.memory"));
}

}  // namespace
}  // namespace cubelet::api

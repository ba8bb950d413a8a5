#include "cli/validate.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cubelet::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kGood[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx
)";

constexpr char kTwoPods[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: a
spec:
  containers:
  - name: app
    image: busybox
---
apiVersion: v1
kind: Pod
metadata:
  name: b
spec:
  containers:
  - name: app
    image: busybox
)";

// Document 1 is fine; document 2 lacks an image and has a bad restart policy.
constexpr char kBad[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: fine
spec:
  containers:
  - name: app
    image: busybox
---
apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  restartPolicy: Sometimes
  containers:
  - name: a
    image: busybox
  - name: b
)";

constexpr char kJson[] = R"({"apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "api"},
  "spec": {"containers": [{"name": "app", "image": "busybox", "ports": [{"containerPort": "x"}]}]}})";

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/cubelet-validate-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }

  int Run(std::vector<std::string> paths) {
    out_.str("");
    err_.str("");
    return ValidateManifests(paths, out_, err_);
  }

  std::string dir_;
  std::ostringstream out_, err_;
};

TEST_F(ValidateTest, GoodFile) {
  std::string path = Write("web.yaml", kGood);
  EXPECT_EQ(Run({path}), 0);
  EXPECT_EQ(out_.str(), "ok  " + path + " (1 pod)\n");
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(ValidateTest, DirectoryOfGoodFiles) {
  Write("web.yaml", kGood);
  Write("two.yml", kTwoPods);
  EXPECT_EQ(Run({dir_}), 0);
  EXPECT_EQ(out_.str(), "ok  " + dir_ + "/two.yml (2 pods)\nok  " + dir_ + "/web.yaml (1 pod)\n");
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(ValidateTest, BadDocumentIsReportedWithFileDocumentPodAndField) {
  Write("good.yaml", kGood);
  std::string bad = Write("bad.yaml", kBad);
  EXPECT_EQ(Run({dir_}), 1);
  EXPECT_EQ(err_.str(),
            bad + ": document 2: pod \"broken\": spec.containers[1].image: Required value\n" + bad +
                ": document 2: pod \"broken\": spec.restartPolicy: Unsupported value: "
                "\"Sometimes\": supported values: \"Always\", \"Never\", \"OnFailure\"\n");
  EXPECT_EQ(out_.str(),
            "FAIL " + bad + " (1 valid pod, 2 errors)\nok  " + dir_ + "/good.yaml (1 pod)\n");
}

TEST_F(ValidateTest, JsonTypeError) {
  std::string path = Write("api.json", kJson);
  EXPECT_EQ(Run({path}), 1);
  EXPECT_EQ(err_.str(), path +
                            ": document 1: pod \"api\": spec.containers[0].ports[0].containerPort: "
                            "Invalid value: \"x\": must be an integer\n");
  EXPECT_EQ(out_.str(), "FAIL " + path + " (0 valid pods, 1 error)\n");
}

TEST_F(ValidateTest, InvalidYaml) {
  std::string path = Write("broken.yaml", "apiVersion: v1\nkind: [Pod\n");
  EXPECT_EQ(Run({path}), 1);
  EXPECT_THAT(err_.str(), HasSubstr(path + ": document 1: invalid YAML"));
}

TEST_F(ValidateTest, DirectorySkipsDotFilesOtherExtensionsAndSubdirectories) {
  Write(".hidden.yaml", "not: a pod\n");
  Write("notes.txt", "not a manifest\n");
  std::filesystem::create_directory(dir_ + "/nested.yaml");
  Write("nested.yaml/inner.yaml", "not: a pod\n");
  Write("web.json", R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"w"},)"
                    R"("spec":{"containers":[{"name":"c","image":"busybox"}]}})");
  EXPECT_EQ(Run({dir_}), 0);
  EXPECT_EQ(out_.str(), "ok  " + dir_ + "/web.json (1 pod)\n");
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(ValidateTest, DuplicatePodFullNamesAcrossFilesAreReported) {
  std::string first = Write("a.yaml", kGood);
  std::string second = Write("b.yaml", kGood);
  EXPECT_EQ(Run({dir_}), 1);
  EXPECT_THAT(err_.str(), HasSubstr(second + ": pod \"web\": metadata.name: Duplicate value: "
                                             "\"web-"));
  EXPECT_THAT(err_.str(), HasSubstr("_default\" (already defined in " + first + ")\n"));
  EXPECT_EQ(out_.str(), "ok  " + first + " (1 pod)\nFAIL " + second + " (0 valid pods, 1 error)\n");
  // Another namespace is another full name.
  Write("b.yaml", std::string(kGood).replace(std::string(kGood).find("  name: web"), 11,
                                             "  name: web\n  namespace: other"));
  EXPECT_EQ(Run({dir_}), 0) << err_.str();
}

TEST_F(ValidateTest, EmptyFileIsReported) {
  std::string path = Write("empty.yaml", "");
  EXPECT_EQ(Run({dir_}), 1);
  EXPECT_EQ(err_.str(), path + ": file was empty\n");
  EXPECT_EQ(out_.str(), "FAIL " + path + " (0 valid pods, 1 error)\n");
}

TEST_F(ValidateTest, NonPodDocumentIsNamed) {
  std::string path = Write("app.yaml", std::string(kGood) +
                                           "---\napiVersion: v1\nkind: ConfigMap\n"
                                           "metadata: {name: settings}\n");
  EXPECT_EQ(Run({path}), 1);
  EXPECT_EQ(err_.str(), path +
                            ": document 2: kind: Unsupported value: \"ConfigMap\": supported "
                            "values: \"Pod\" (this document is a ConfigMap \"settings\", not a "
                            "Pod)\n");
}

TEST_F(ValidateTest, EmptyDirectory) {
  EXPECT_EQ(Run({dir_}), 0);
  EXPECT_EQ(out_.str(), "ok  " + dir_ + " (no manifest files)\n");
}

TEST_F(ValidateTest, MissingPathFails) {
  std::string path = dir_ + "/nope.yaml";
  EXPECT_EQ(Run({path}), 1);
  EXPECT_THAT(err_.str(), HasSubstr("\"" + path + "\": No such file or directory"));
  EXPECT_EQ(out_.str(), "FAIL " + path + " (unreadable)\n");
}

TEST_F(ValidateTest, OneBadPathFailsTheRun) {
  std::string good = Write("web.yaml", kGood);
  EXPECT_EQ(Run({good, dir_ + "/missing.yaml"}), 1);
  EXPECT_THAT(out_.str(), HasSubstr("ok  " + good));
}

}  // namespace
}  // namespace cubelet::cli
